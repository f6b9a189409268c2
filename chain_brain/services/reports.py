"""Readable views of stored runs: the columns a person reads first, and exports.

The CLI prints these; the API and dashboards may show the same selections.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chain_brain.store import RunRecord
from graph_schema.errors import ValidationError

__all__ = ["analysis_tables", "export_run", "REPORT_COLUMNS"]

#: Per finding table: its title and the columns shown first (those present are kept).
REPORT_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "chokepoints": (
        "Product chokepoints (卡脖子)",
        ("product_id", "name", "score", "n_firms", "hhi_firm", "import_share", "substitution_ratio", "reach", "is_chokepoint"),
    ),
    "weak_links": (
        "Weak links by chain segment (薄弱环节)",
        ("segment_id", "name", "score", "n_suppliers", "hhi_firm", "top_region", "top_region_share", "min_cut", "is_weak_link"),
    ),
    "sole_sources": ("Sole-source dependencies", ("customer_key", "supplier_key", "product_id", "supplier_country", "volume")),
    "dominators": ("Dominators (all supply of a final product passes through)", ("key", "name", "country", "n_dominated_final", "dominated_share")),
    "articulation_points": ("Articulation points", ("key", "name", "country", "partners")),
    "importance": ("Supply importance (PageRank on supply)", ("key", "name", "country", "importance")),
    "cascades": ("Cascades: final output at risk", ("scenario", "n_disrupted", "final_output_lost_share", "first_final_loss_period", "top_products")),
}


def analysis_tables(run: RunRecord, *, top: int = 10) -> list[tuple[str, pd.DataFrame]]:
    """The report tables of an analysis run, ``top`` rows each, key columns only."""
    if top < 1:
        raise ValidationError(f"top must be >= 1, got {top}.")
    out = []
    for name, (title, wanted) in REPORT_COLUMNS.items():
        table = run.tables.get(name)
        if table is None or not len(table):
            continue
        cols = [c for c in wanted if c in table.columns] or list(table.columns[:6])
        shown = table[cols]
        if "score" in shown.columns:
            shown = shown.sort_values("score", ascending=False, kind="stable")
        out.append((title, shown.head(top).reset_index(drop=True)))
    return out


def export_run(run: RunRecord, folder: str | Path, *, fmt: str = "csv") -> list[Path]:
    """Write every table of a run as ``<name>.csv`` or ``<name>.parquet`` in ``folder``."""
    if fmt not in ("csv", "parquet"):
        raise ValidationError(f"Export format must be 'csv' or 'parquet'; got {fmt!r}.")
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in run.tables.items():
        p = d / f"{name}.{fmt}"
        if fmt == "csv":
            table.to_csv(p, index=False)
        else:
            table.to_parquet(p, index=False)
        paths.append(p)
    return paths
