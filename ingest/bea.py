"""US BEA input-output accounts: Use, Make and published total requirements as matrices.

Sources (US federal government work, public domain): BEA Summary Make and Use tables 2015
before redefinitions (2012 schema, 71 industries, 73 commodities) as distributed by the
USEEIO project (github.com/USEPA/useeior, MIT) and the BEA *Industry-by-Commodity Total
Requirements, After Redefinitions* workbook ``IxC_TR_1997-2015_Summary.xlsx``.

The analytics layer computes Leontief inverses and upstreamness from these; ingest only reads
them.  Industry-by-industry flows follow the industry-technology assumption of the BEA
(Horowitz & Planting 2009, *Concepts and Methods of the U.S. Input-Output Accounts*, ch. 12):
the market-share matrix ``D[i, c] = Make[i, c] / q[c]`` (``q`` commodity output) spreads each
commodity's intermediate use over the industries that make it, ``F = D @ U``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph_schema.frames import LINE, GraphData, NodeFrame
from graph_schema.model import NodeLabel
from ingest.errors import IngestError, MissingColumnError
from ingest.readers import read_csv
from ingest.result import IngestResult, Progress, build_result

__all__ = [
    "SOURCE",
    "IOMatrix",
    "UseTable",
    "MakeTable",
    "read_bea_use",
    "read_bea_make",
    "read_bea_total_requirements",
    "read_bea_industry_names",
    "industry_flows",
    "load_bea_io",
]

SOURCE = "BEA Input-Output Accounts"
_ROWS = "rownames"


@dataclass(frozen=True)
class IOMatrix:
    """A labelled matrix: ``values[i, j]`` for row code ``rows[i]`` and column code ``cols[j]``."""

    values: npt.NDArray[np.float64]
    rows: tuple[str, ...]
    cols: tuple[str, ...]

    def frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame indexed by the codes."""
        return pd.DataFrame(self.values, index=list(self.rows), columns=list(self.cols))


@dataclass(frozen=True)
class UseTable:
    """A Use table split into its blocks (million USD, producers' prices)."""

    intermediate: IOMatrix  # commodity x industry
    final_demand: IOMatrix  # commodity x final-use category
    value_added: IOMatrix  # value-added component x industry
    industry_output: npt.NDArray[np.float64]  # by industry, order of intermediate.cols
    commodity_output: npt.NDArray[np.float64]  # by commodity, order of intermediate.rows


@dataclass(frozen=True)
class MakeTable:
    """A Make table (industry x commodity, million USD) with its totals."""

    make: IOMatrix
    industry_output: npt.NDArray[np.float64]
    commodity_output: npt.NDArray[np.float64]


def _matrix_csv(path: str | Path) -> pd.DataFrame:
    data = read_csv(path, normalize=False).drop(columns=[LINE])
    if _ROWS not in data.columns:
        raise MissingColumnError(f"{Path(path).name} lacks the row-code column {_ROWS!r}.")
    frame = data.set_index(_ROWS)
    try:
        return frame.apply(pd.to_numeric, errors="raise").fillna(0.0)
    except ValueError as exc:
        raise IngestError(f"{Path(path).name} holds a non-numeric cell: {exc}") from None


def _pos(labels: pd.Index, name: str, path: str | Path) -> int:
    try:
        return int(labels.get_loc(name))  # type: ignore[arg-type]
    except KeyError:
        raise MissingColumnError(f"{Path(path).name} lacks the total {name!r}.") from None


def read_bea_use(path: str | Path) -> UseTable:
    """Read a useeior Summary Use CSV (``rownames`` + industries + final uses + totals).

    Rows up to ``Total Intermediate`` are commodities, rows after it value added; columns
    up to ``Total Intermediate`` are industries, then final-use categories up to
    ``Total Final Uses (GDP)``.
    """
    df = _matrix_csv(path)
    r_ti = _pos(df.index, "Total Intermediate", path)
    c_ti = _pos(df.columns, "Total Intermediate", path)
    c_fd = _pos(df.columns, "Total Final Uses (GDP)", path)
    r_va = _pos(df.index, "Total Value Added", path)
    r_out = _pos(df.index, "Total Industry Output", path)
    c_out = _pos(df.columns, "Total Commodity Output", path)
    commodities = tuple(str(x) for x in df.index[:r_ti])
    industries = tuple(str(x) for x in df.columns[:c_ti])
    fd_cols = tuple(str(x) for x in df.columns[c_ti + 1 : c_fd])
    va_rows = tuple(str(x) for x in df.index[r_ti + 1 : r_va])
    v = df.to_numpy(dtype=float)
    return UseTable(
        intermediate=IOMatrix(v[:r_ti, :c_ti], commodities, industries),
        final_demand=IOMatrix(v[:r_ti, c_ti + 1 : c_fd], commodities, fd_cols),
        value_added=IOMatrix(v[r_ti + 1 : r_va, :c_ti], va_rows, industries),
        industry_output=v[r_out, :c_ti].copy(),
        commodity_output=v[:r_ti, c_out].copy(),
    )


def read_bea_make(path: str | Path) -> MakeTable:
    """Read a useeior Summary Make CSV (industries x commodities + totals)."""
    df = _matrix_csv(path)
    r_tot = _pos(df.index, "Total Commodity Output", path)
    c_tot = _pos(df.columns, "Total Industry Output", path)
    v = df.to_numpy(dtype=float)
    industries = tuple(str(x) for x in df.index[:r_tot])
    commodities = tuple(str(x) for x in df.columns[:c_tot])
    return MakeTable(
        make=IOMatrix(v[:r_tot, :c_tot], industries, commodities),
        industry_output=v[:r_tot, c_tot].copy(),
        commodity_output=v[r_tot, :c_tot].copy(),
    )


def read_bea_total_requirements(path: str | Path, year: int | str = 2015) -> IOMatrix:
    """Read one year of the BEA IxC total requirements workbook (industry x commodity).

    The sheet named by the year holds a title block, a header row of commodity codes
    (after ``Industries/Commodities``) and one row per industry code; trailing total rows
    are dropped.
    """
    path = Path(path)
    try:
        raw = pd.read_excel(path, sheet_name=str(year), header=None, dtype=object)
    except ValueError as exc:
        raise IngestError(f"No sheet {str(year)!r} in {path.name}: {exc}") from None
    header_rows = np.flatnonzero(raw.iloc[:, 1].astype(str).str.strip() == "Industries/Commodities")
    if header_rows.size == 0:
        raise IngestError(f"{path.name} sheet {year}: no 'Industries/Commodities' header row.")
    h = int(header_rows[0])
    codes = raw.iloc[h, 2:]
    keep_cols = codes.notna() & (codes.astype(str).str.strip() != "")
    cols = tuple(str(c).strip() for c in codes[keep_cols])
    body = raw.iloc[h + 2 :]
    row_codes = body.iloc[:, 0]
    values = body.iloc[:, 2:].loc[:, keep_cols.to_numpy()]
    numeric = values.apply(pd.to_numeric, errors="coerce")
    is_row = row_codes.notna() & numeric.notna().all(axis=1)
    is_row &= ~row_codes.astype(str).str.startswith("Total")
    rows = tuple(str(c).strip() for c in row_codes[is_row])
    return IOMatrix(numeric[is_row].to_numpy(dtype=float), rows, cols)


def read_bea_industry_names(path: str | Path) -> pd.DataFrame:
    """``code, name_en`` from a useeior ``Summary_IndustryCodeName_*.csv``."""
    data = read_csv(path)
    code_col = next((c for c in data.columns if c.endswith("_Code")), None)
    name_col = next((c for c in data.columns if c.endswith("_Name")), None)
    if code_col is None or name_col is None:
        raise MissingColumnError(f"{Path(path).name} lacks *_Code / *_Name columns.")
    return pd.DataFrame({"code": data[code_col], "name_en": data[name_col], LINE: data[LINE]})


def industry_flows(use: UseTable, make: MakeTable) -> pd.DataFrame:
    """Industry-by-industry intermediate flows ``F = D @ U`` (million USD), long format.

    ``D[i, c] = Make[i, c] / q[c]`` over the commodities both tables share; commodities
    with zero output (no maker) are left out.  Returns ``src, dst, value`` for nonzero flows:
    industry ``src`` supplies industry ``dst``.
    """
    common = [c for c in use.intermediate.rows if c in set(make.make.cols)]
    m_idx = [make.make.cols.index(c) for c in common]
    u_idx = [use.intermediate.rows.index(c) for c in common]
    make_m = make.make.values[:, m_idx]
    q = make_m.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(q > 0, make_m / np.where(q > 0, q, 1.0), 0.0)
    flows = share @ use.intermediate.values[u_idx, :]
    src_codes = np.asarray(make.make.rows)
    dst_codes = np.asarray(use.intermediate.cols)
    i, j = np.nonzero(flows)
    return pd.DataFrame({"src": src_codes[i], "dst": dst_codes[j], "value": flows[i, j]})


def load_bea_io(
    use_path: str | Path,
    make_path: str | Path,
    names_path: str | Path,
    *,
    progress: Progress | None = None,
    snapshot: str | None = None,
) -> IngestResult:
    """Industry nodes (system ``BEA``) plus side tables ``bea_industry_flows`` and ``bea_use``.

    ``bea_industry_flows`` has ``src, dst, value`` with BEA codes (prefix ``BEA:`` gives the
    node ids); ``bea_use`` is the commodity x industry intermediate block.
    """
    use = read_bea_use(use_path)
    make = read_bea_make(make_path)
    names = read_bea_industry_names(names_path)
    if progress is not None:
        progress.update(1)
    name_of = dict(zip(names["code"], names["name_en"], strict=True))
    line_of = dict(zip(names["code"], names[LINE], strict=True))
    codes = list(dict.fromkeys([*use.intermediate.cols, *make.make.rows]))
    nodes = pd.DataFrame(
        {
            "id": [f"BEA:{c}" for c in codes],
            "system": "BEA",
            "code": codes,
            "name_en": [name_of.get(c) for c in codes],
            "level": "summary",
            LINE: [line_of.get(c) for c in codes],
        }
    )
    flows = industry_flows(use, make)
    graph = GraphData(nodes=[NodeFrame(NodeLabel.INDUSTRY, nodes)])
    return build_result(
        graph,
        source=SOURCE,
        rows_read=len(use.intermediate.rows) + len(make.make.rows) + len(names),
        snapshot=snapshot,
        tables={"bea_industry_flows": flows, "bea_use": use.intermediate.frame()},
    )
