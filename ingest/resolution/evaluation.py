"""Pairwise precision and recall of a resolution against labelled name pairs.

A labelled set is a table ``source, left_name, right_name, same`` (``same`` is 1 when both
names denote one entity).  Every distinct name becomes one record, the records are
resolved together, and each labelled pair is predicted *same* when both names end in one
cluster.  Precision = TP / (TP + FP), recall = TP / (TP + FN) over the labelled pairs
(Christen, *Data Matching*, 2012, sec. 7.3: pair-based quality measures).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from graph_schema.errors import ValidationError
from ingest.resolution.resolver import ResolutionResult, resolve_firms

__all__ = ["PairScores", "load_firm_pairs", "pair_precision_recall", "evaluate_resolution"]

LABEL_COLUMNS = ["source", "left_name", "right_name", "same"]


@dataclass(frozen=True)
class PairScores:
    """Confusion counts and the derived precision / recall / F1 of one labelled source."""

    source: str
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_firm_pairs(path: str | Path | None = None) -> pd.DataFrame:
    """The bundled labelled firm pairs (``ingest/sample_data/labelled/firm_pairs.csv``)."""
    if path is None:
        ref = resources.files("ingest").joinpath("sample_data/labelled/firm_pairs.csv")
        with resources.as_file(ref) as p:
            pairs = pd.read_csv(p)
    else:
        pairs = pd.read_csv(path)
    missing = set(LABEL_COLUMNS) - set(pairs.columns)
    if missing:
        raise ValidationError(f"Labelled pairs lack column(s) {sorted(missing)}.")
    return pairs


def pair_precision_recall(
    result: ResolutionResult, pairs: pd.DataFrame, name_to_id: dict[str, str]
) -> list[PairScores]:
    """Scores per ``source`` of ``pairs`` plus an ``all`` row, given how names map to ids."""
    canon = result.clusters.set_index("id")["canonical_id"]
    left = pairs["left_name"].map(name_to_id).map(canon)
    right = pairs["right_name"].map(name_to_id).map(canon)
    if left.isna().any() or right.isna().any():
        raise ValidationError("Some labelled names were not among the resolved records.")
    predicted = (left == right).to_numpy()
    truth = pairs["same"].astype(int).to_numpy() == 1
    out: list[PairScores] = []
    groups = [(s, (pairs["source"] == s).to_numpy()) for s in sorted(pairs["source"].unique())]
    groups.append(("all", pd.Series(True, index=pairs.index).to_numpy()))
    for source, mask in groups:
        p, t = predicted[mask], truth[mask]
        out.append(
            PairScores(
                source=source,
                tp=int((p & t).sum()),
                fp=int((p & ~t).sum()),
                fn=int((~p & t).sum()),
                tn=int((~p & ~t).sum()),
            )
        )
    return out


def evaluate_resolution(
    pairs: pd.DataFrame | None = None, **resolve_kwargs: Any
) -> tuple[list[PairScores], ResolutionResult]:
    """Resolve every distinct name of ``pairs`` (default: the bundled set) and score it."""
    if pairs is None:
        pairs = load_firm_pairs()
    names = pd.unique(pd.concat([pairs["left_name"], pairs["right_name"]], ignore_index=True))
    ids = [f"n{i}" for i in range(len(names))]
    frame = pd.DataFrame({"id": ids, "name": names})
    result = resolve_firms(frame, **resolve_kwargs)
    return pair_precision_recall(result, pairs, dict(zip(names, ids, strict=True))), result
