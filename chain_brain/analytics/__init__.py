"""Chokepoints, weak links, structure, chain position and cascades over a ChainGraph.

One algorithm family per module; :func:`run_analysis` computes all of them.
"""

from chain_brain.analytics.cascades import Disruption, DisruptionKind
from chain_brain.analytics.results import (
    AnalysisParams,
    AnalysisResult,
    Comparison,
    compare,
    run_analysis,
)

__all__ = [
    "AnalysisParams",
    "AnalysisResult",
    "Comparison",
    "Disruption",
    "DisruptionKind",
    "compare",
    "run_analysis",
]
