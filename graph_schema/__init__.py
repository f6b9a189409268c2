"""The canonical model of chain-brain: labels, relationship types, properties, migrations."""

from graph_schema.errors import ChainBrainError, ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.migrations import SCHEMA_VERSION
from graph_schema.model import NODE_SCHEMAS, REL_SCHEMAS, NodeLabel, Position, RelType

__all__ = [
    "ChainBrainError",
    "ValidationError",
    "GraphData",
    "NodeFrame",
    "RelFrame",
    "SCHEMA_VERSION",
    "NODE_SCHEMAS",
    "REL_SCHEMAS",
    "NodeLabel",
    "Position",
    "RelType",
]
