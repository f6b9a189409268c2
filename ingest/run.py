"""Entry points of the ``chain-brain ingest`` command: a user file with a mapping, or a named dataset.

``ingest_file(path, mapping)`` reads any supported file (CSV/XLSX/Parquet/JSON; CSV files
larger than ``max_bytes`` are streamed in chunks), applies the YAML column mapping and
validates the result.  ``ingest_dataset(name, data_dir)`` runs one of the adapters of the
real datasets; paths are relative to ``data_dir`` (the layout of ``../shared/data``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from graph_schema.frames import GraphData
from ingest.errors import UnknownDatasetError
from ingest.mapping import Mapping, apply_mapping, check_columns, load_mapping
from ingest.readers import DEFAULT_MAX_BYTES, iter_csv, read_table
from ingest.result import IngestResult, Progress, build_result

__all__ = ["DATASETS", "DATASET_PATHS", "ingest_file", "ingest_dataset"]

#: dataset name -> path(s) relative to the data directory
DATASET_PATHS: dict[str, tuple[str, ...]] = {
    "gem-steel": ("gem_steel_plants/steel_plants.csv",),
    "apple-suppliers": ("apple_supplier_list/apple-supplier-list.csv",),
    "scms": ("scms_usaid/SCMS_Delivery_History_Dataset.csv",),
    "bea-io": (
        "bea_io/useeior_summary/Summary_Use_2015_PRO_BeforeRedef_12sch.csv",
        "bea_io/useeior_summary/Summary_Make_2015_BeforeRedef_12sch.csv",
        "bea_io/useeior_summary/Summary_IndustryCodeName_2012.csv",
    ),
    "hs2022": (
        "hs2022/harmonized-system.csv",
        "concordance_un/hs_isic4.csv",
        "concordance_un/isic4_desc.csv",
    ),
    "gbt4754": ("gbt4754_2017/gbt4754_2017_codes.csv",),
}


def ingest_file(
    path: str | Path,
    mapping: Mapping | str | Path,
    *,
    check_endpoints: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    chunksize: int = 200_000,
    progress: Progress | None = None,
    snapshot: str | None = None,
) -> IngestResult:
    """Read ``path``, apply ``mapping`` (a :class:`Mapping` or a YAML path) and validate.

    Parameters
    ----------
    path
        The user's file.
    mapping
        The column mapping.
    check_endpoints
        Reject relationships whose endpoints are not nodes of this file.  Pass ``False``
        when the endpoints are already in the store (the store checks them then).
    max_bytes
        CSV files larger than this are read in chunks of ``chunksize`` rows; other formats
        larger than this are refused.
    progress
        Anything with ``update(n)`` (a tqdm bar), advanced by rows read.
    snapshot
        Provenance snapshot name.
    """
    path = Path(path)
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    opts = mapping.reader
    is_csv = path.suffix.lower() in (".csv", ".txt", ".tsv")
    if is_csv and path.exists() and path.stat().st_size > max_bytes:
        sep = "\t" if path.suffix.lower() == ".tsv" else opts.sep
        graph = GraphData()
        rows = 0
        for chunk in iter_csv(path, chunksize=chunksize, encoding=opts.encoding, sep=sep):
            graph.extend(apply_mapping(chunk, mapping, source=path.name))
            rows += len(chunk)
            if progress is not None:
                progress.update(len(chunk))
    else:
        data = read_table(
            path, encoding=opts.encoding, sep=opts.sep, sheet=opts.sheet, max_bytes=max_bytes
        )
        check_columns(mapping, data.columns, path.name)
        graph = apply_mapping(data, mapping, source=path.name)
        rows = len(data)
        if progress is not None:
            progress.update(rows)
    return build_result(
        graph,
        source=mapping.source,
        rows_read=rows,
        confidence=mapping.confidence,
        snapshot=snapshot,
        check_endpoints=check_endpoints,
    )


def _loaders() -> dict[str, Callable[[Path, Progress | None], IngestResult]]:
    from ingest.apple import load_apple_suppliers
    from ingest.bea import load_bea_io
    from ingest.gem import load_gem_steel
    from ingest.scms import load_scms
    from ingest.taxonomies import load_gbt4754, load_hs2022

    def paths(name: str, root: Path) -> list[Path]:
        return [root / p for p in DATASET_PATHS[name]]

    return {
        "gem-steel": lambda d, p: load_gem_steel(paths("gem-steel", d)[0], progress=p),
        "apple-suppliers": lambda d, p: load_apple_suppliers(
            paths("apple-suppliers", d)[0], progress=p
        ),
        "scms": lambda d, p: load_scms(paths("scms", d)[0], progress=p),
        "bea-io": lambda d, p: load_bea_io(*paths("bea-io", d), progress=p),
        "hs2022": lambda d, p: load_hs2022(*paths("hs2022", d), progress=p),
        "gbt4754": lambda d, p: load_gbt4754(paths("gbt4754", d)[0], progress=p),
    }


DATASETS: tuple[str, ...] = tuple(DATASET_PATHS)


def ingest_dataset(
    name: str, data_dir: str | Path, *, progress: Progress | None = None
) -> IngestResult:
    """Run the adapter of a named real dataset.

    Parameters
    ----------
    name
        One of ``gem-steel``, ``apple-suppliers``, ``scms``, ``bea-io``, ``hs2022``,
        ``gbt4754``.
    data_dir
        Directory holding the datasets in the layout of :data:`DATASET_PATHS`.
    progress
        Anything with ``update(n)`` (a tqdm bar).
    """
    loaders = _loaders()
    if name not in loaders:
        raise UnknownDatasetError(
            f"Unknown dataset {name!r}; expected one of {', '.join(DATASETS)}."
        )
    return loaders[name](Path(data_dir), progress)


def rows_of(result: IngestResult) -> pd.DataFrame:
    """The run report of ``result`` as a table (what the CLI prints)."""
    return result.report.table()
