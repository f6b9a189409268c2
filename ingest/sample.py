"""The bundled sample: GEM steel plants and the Apple supplier list, read through the adapters.

Both files are copied unchanged with their SOURCE.txt and licence under
``ingest/sample_data/`` (GEM: CC BY 4.0, attribution Global Energy Monitor, Global Iron and
Steel Tracker; Apple list: MIT, CommonWealth Magazine compilation).
"""

from __future__ import annotations

from pathlib import Path

from ingest.apple import load_apple_suppliers
from ingest.gem import load_gem_steel
from ingest.result import IngestResult, Progress, combine_results

__all__ = ["SAMPLE_SOURCE", "sample_path", "load_sample"]

SAMPLE_SOURCE = "chain-brain sample (GEM steel plants + Apple supplier list)"


def sample_path(name: str | None = None) -> Path:
    """Directory of the bundled sample data, or the file of one dataset.

    Parameters
    ----------
    name
        ``None`` for the directory, ``"gem-steel"`` or ``"apple-suppliers"`` for the CSV.
    """
    root = Path(__file__).resolve().parent / "sample_data"
    files = {
        "gem-steel": root / "gem_steel_plants" / "steel_plants.csv",
        "apple-suppliers": root / "apple_supplier_list" / "apple-supplier-list.csv",
    }
    if name is None:
        return root
    if name not in files:
        from ingest.errors import UnknownDatasetError

        raise UnknownDatasetError(
            f"No bundled sample named {name!r}; expected one of {', '.join(files)}."
        )
    return files[name]


def load_sample(*, progress: Progress | None = None, snapshot: str | None = None) -> IngestResult:
    """Read and validate the bundled sample: the GEM steel chain plus Apple's suppliers."""
    results = [
        load_gem_steel(sample_path("gem-steel"), progress=progress, snapshot=snapshot),
        load_apple_suppliers(sample_path("apple-suppliers"), progress=progress, snapshot=snapshot),
    ]
    return combine_results(results, source=SAMPLE_SOURCE)
