"""Disruption optimizers: time-to-recover / time-to-survive, reallocation, chain strengthening.

Pure computation on typed data: no database, no HTTP, no import of ``chain_brain``.
"""

from optimizers.disruption import (
    DEFAULT_MAX_TTS,
    DisruptionReport,
    DisruptionSolver,
    build_ttr_model,
    build_tts_model,
    solve_pyomo,
    sweep_disruptions,
)
from optimizers.network import SupplyNetwork, build_network

__all__ = [
    "DEFAULT_MAX_TTS",
    "DisruptionReport",
    "DisruptionSolver",
    "SupplyNetwork",
    "build_network",
    "build_ttr_model",
    "build_tts_model",
    "solve_pyomo",
    "sweep_disruptions",
]
