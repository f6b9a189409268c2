"""Entity resolution of firms across sources, spellings and languages.

Public entry points: :func:`resolve_firms` (records -> clusters + recorded merges),
:func:`unmerge`, :func:`apply_resolution` / :func:`undo_resolution` (rewrite a
:class:`graph_schema.frames.GraphData` and take it back), :func:`normalise_name`,
:func:`romanise_chinese`, :func:`resolve_batch` / :func:`undo_batch` (a load's firms against
each other and the stored firms, with the log that takes it back) and :func:`evaluate_resolution` (pairwise precision / recall
against labelled name pairs).
"""

from ingest.resolution.batch import BatchResolution, resolve_batch, undo_batch
from ingest.resolution.embeddings import EmbeddingsUnavailableError, embeddings_available
from ingest.resolution.evaluation import PairScores, evaluate_resolution, load_firm_pairs
from ingest.resolution.graph import AppliedResolution, apply_resolution, undo_resolution
from ingest.resolution.names import NormalisedName, normalise_name, romanise_chinese
from ingest.resolution.resolver import ResolutionResult, resolve_firms, unmerge

__all__ = [
    "AppliedResolution",
    "BatchResolution",
    "EmbeddingsUnavailableError",
    "NormalisedName",
    "PairScores",
    "ResolutionResult",
    "apply_resolution",
    "embeddings_available",
    "evaluate_resolution",
    "load_firm_pairs",
    "normalise_name",
    "resolve_batch",
    "resolve_firms",
    "romanise_chinese",
    "undo_batch",
    "undo_resolution",
    "unmerge",
]
