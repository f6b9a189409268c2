"""Entity resolution of firms across sources, spellings and languages.

Public entry points: :func:`resolve_firms` (records -> clusters + recorded merges),
:func:`unmerge`, :func:`apply_resolution` / :func:`undo_resolution` (rewrite a
:class:`graph_schema.frames.GraphData` and take it back), :func:`normalise_name` and
:func:`pair_precision_recall` for evaluation against labelled pairs.
"""

from ingest.resolution.embeddings import EmbeddingsUnavailableError, embeddings_available
from ingest.resolution.names import NormalisedName, normalise_name
from ingest.resolution.resolver import ResolutionResult, resolve_firms, unmerge

__all__ = [
    "EmbeddingsUnavailableError",
    "NormalisedName",
    "ResolutionResult",
    "embeddings_available",
    "normalise_name",
    "resolve_firms",
    "unmerge",
]
