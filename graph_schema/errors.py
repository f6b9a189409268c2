"""The one error hierarchy of chain-brain.

Every layer raises a subclass of :class:`ChainBrainError`; messages name the offending
value and what was expected.  The API maps these classes to HTTP status codes in one
handler, the CLI prints them without a traceback.
"""

from __future__ import annotations

__all__ = [
    "ChainBrainError",
    "ValidationError",
    "SchemaVersionError",
    "StoreError",
    "StoreUnavailableError",
    "NotFoundError",
    "ConflictError",
    "OptimizationError",
    "InfeasibleError",
    "UnboundedError",
]


class ChainBrainError(Exception):
    """Base class of every error chain-brain raises on purpose."""


class ValidationError(ChainBrainError, ValueError):
    """Input data or arguments violate the canonical model."""


class SchemaVersionError(ChainBrainError):
    """The store holds a schema version this code does not speak."""


class StoreError(ChainBrainError):
    """A store operation failed; the store is left as it was before the call."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached (unknown URI, server down, file not writable)."""


class NotFoundError(ChainBrainError, KeyError):
    """A node, run, scenario or other object with the given id does not exist."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class ConflictError(ChainBrainError):
    """The request conflicts with the current state (duplicate id with other values, ...)."""


class OptimizationError(ChainBrainError):
    """A solve did not end optimal; carries the solver's termination condition."""

    def __init__(self, message: str, *, termination: str = "unknown") -> None:
        super().__init__(message)
        self.termination = termination


class InfeasibleError(OptimizationError):
    """The model has no feasible solution; the message says which demand or data breaks it."""


class UnboundedError(OptimizationError):
    """The model is unbounded; the message names the data that leaves it unbounded."""
