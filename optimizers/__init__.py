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
from optimizers.reallocation import (
    CostBreakdown,
    ReallocationPlan,
    ReallocationProblem,
    build_reallocation_model,
    plan_reallocation,
)
from optimizers.strengthening import (
    LossStrengtheningPlan,
    StrengtheningOption,
    StrengtheningPlan,
    build_loss_strengthening_model,
    plan_loss_strengthening,
    plan_strengthening,
)
from optimizers.synthetic import make_tiered_network, random_reallocation_problem

__all__ = [
    "CostBreakdown",
    "DEFAULT_MAX_TTS",
    "DisruptionReport",
    "DisruptionSolver",
    "LossStrengtheningPlan",
    "ReallocationPlan",
    "ReallocationProblem",
    "StrengtheningOption",
    "StrengtheningPlan",
    "SupplyNetwork",
    "build_loss_strengthening_model",
    "build_network",
    "build_reallocation_model",
    "build_ttr_model",
    "build_tts_model",
    "make_tiered_network",
    "plan_loss_strengthening",
    "plan_reallocation",
    "plan_strengthening",
    "random_reallocation_problem",
    "solve_pyomo",
    "sweep_disruptions",
]
