"""Chain position: upstreamness and downstreamness of industries and products.

Upstreamness (Antràs, Chor, Fally & Hillberry 2012) is the average number of production
stages between an industry's output and final use::

    U = (I - Delta)^{-1} 1,   Delta_ij = d_ij Y_j / Y_i

with ``d_ij`` the units of ``i`` needed per unit of ``j`` and ``Y`` gross output; U = 1 for
an industry selling only to final use.  Downstreamness is taken from the column sums of the
Leontief inverse ``(I - A)^{-1}`` (total backward linkage: how many units of all inputs a
unit of final output draws, cf. Antràs & Chor 2018, Miller & Temurshoev 2017).  Industries
(or products) are placed upstream / midstream / downstream by terciles of upstreamness.

The same formulas run on the product bill of materials of a :class:`ChainGraph`
(:func:`product_positions`) and on the U.S. BEA input-output accounts
(:func:`bea_industry_positions`).  :func:`bea_total_requirements` computes BEA's
industry-by-commodity total requirements ``D (I - B D)^{-1}`` from the Make and Use tables
(BEA, *Concepts and Methods of the U.S. Input-Output Accounts*, 2009, ch. 12) and
:func:`compare_total_requirements` checks it against BEA's published table.

Bundled data (``chain_brain/analytics/data``, U.S. federal government work, public domain):
BEA Summary Make and Use tables 2015 after redefinitions (2012 schema, producers' prices) as
distributed by the USEPA useeior package, and the 2015 sheet of BEA's published
``IxC_TR_1997-2015_Summary.xlsx`` (industry-by-commodity total requirements, after
redefinitions) converted to CSV.  See ``data/SOURCE.txt``.

References
----------
.. [1] Antràs, P., Chor, D., Fally, T. and Hillberry, R. (2012). Measuring the upstreamness
   of production and trade flows. American Economic Review P&P 102(3), 412-416.
.. [2] Antràs, P. and Chor, D. (2018). On the measurement of upstreamness and
   downstreamness in global value chains. In World Trade Evolution, Routledge, 126-194.
.. [3] Miller, R. E. and Temurshoev, U. (2017). Output upstreamness and input downstreamness
   of industries/countries in world production. Int. Regional Sci. Review 40(5), 443-475.
.. [4] Horowitz, K. J. and Planting, M. A. (2009). Concepts and Methods of the U.S.
   Input-Output Accounts. U.S. BEA.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from chain_brain.analytics.chokepoints import (
    _final_products,
    leontief_requirements,
    leontief_solve,
)
from chain_brain.graph.chaingraph import ChainGraph
from graph_schema.errors import NotFoundError, ValidationError

__all__ = [
    "upstreamness",
    "downstreamness",
    "place_by_terciles",
    "product_positions",
    "BeaTables",
    "TotalRequirementsCheck",
    "bundled_data_dir",
    "read_bea_summary",
    "read_bea_published_ixc_tr",
    "bea_total_requirements",
    "compare_total_requirements",
    "bea_industry_positions",
]


def upstreamness(direct: np.ndarray | sp.spmatrix, output: np.ndarray) -> np.ndarray:
    """Upstreamness ``U = (I - Delta)^{-1} 1`` of Antràs et al. (2012).

    Parameters
    ----------
    direct : (n, n) array
        ``direct[i, j]``: units of ``i`` used per unit of ``j`` output.
    output : (n,) array
        Gross output ``Y``.  Rows with ``Y_i <= 0`` get U = 1 (nothing to allocate).

    Examples
    --------
    Two stages: one unit of ``b`` needs 0.5 of ``a``; ``a`` (Y=50) goes only into ``b``
    (Y=100), so ``a`` is two stages from final use.

    >>> upstreamness(np.array([[0.0, 0.5], [0.0, 0.0]]), np.array([50.0, 100.0]))
    array([2., 1.])
    """
    y = np.asarray(output, dtype=float)
    n = len(y)
    if direct.shape != (n, n):
        raise ValidationError(f"direct must be {n}x{n} to match output; got {direct.shape}.")
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_y = np.where(y > 0, 1.0 / np.where(y > 0, y, 1.0), 0.0)
    if sp.issparse(direct):
        delta = sp.diags(inv_y) @ sp.csr_matrix(direct, dtype=float) @ sp.diags(y)
        u = leontief_solve(delta, np.ones(n))
    else:
        delta = inv_y[:, None] * np.asarray(direct, dtype=float) * y[None, :]
        u = np.linalg.solve(np.eye(n) - delta, np.ones(n))
    if not np.all(np.isfinite(u)) or (u < 1 - 1e-9).any():
        raise ValidationError(
            "Upstreamness is undefined: some sector uses more than its own output "
            "(rows of Delta sum to >= 1)."
        )
    return u


def downstreamness(direct: np.ndarray | sp.spmatrix) -> np.ndarray:
    """Column sums of the Leontief inverse ``(I - A)^{-1}`` (total backward linkage).

    Examples
    --------
    >>> downstreamness(np.array([[0.0, 0.5], [0.0, 0.0]]))
    array([1. , 1.5])
    """
    n = direct.shape[0]
    if sp.issparse(direct):
        d = leontief_solve(direct, np.ones(n), transpose=True)
        if not np.all(np.isfinite(d)):
            raise ValidationError("Downstreamness is undefined: (I - A) is not invertible.")
        return d
    return np.linalg.solve((np.eye(n) - np.asarray(direct, dtype=float)).T, np.ones(n))


def place_by_terciles(u: np.ndarray) -> np.ndarray:
    """``upstream`` / ``midstream`` / ``downstream`` by terciles of upstreamness ``u``.

    Examples
    --------
    >>> place_by_terciles(np.array([1.0, 2.0, 3.0])).tolist()
    ['downstream', 'midstream', 'upstream']
    """
    u = np.asarray(u, dtype=float)
    if len(u) == 0:
        return np.empty(0, dtype=object)
    lo, hi = np.quantile(u, [1 / 3, 2 / 3])
    return np.where(u > hi, "upstream", np.where(u <= lo, "downstream", "midstream")).astype(object)


def product_positions(graph: ChainGraph) -> pd.DataFrame:
    """Upstreamness, downstreamness and tercile position of every product in the BOM.

    Output ``Y`` of a product is its recorded supply, or its BOM requirement from final
    output when no supply is recorded.
    """
    a = graph.bom_matrix
    required = leontief_requirements(a, _final_products(graph))
    y = np.where(graph.product_supply > 0, graph.product_supply, required)
    products = graph.product_nodes
    u = upstreamness(a, y)
    d = downstreamness(a)
    in_bom = np.zeros(len(products), dtype=bool)
    in_bom[graph.product_local(graph.bom_input)] = True
    in_bom[graph.product_local(graph.bom_output)] = True
    t = pd.DataFrame(
        {
            "product_id": graph.node_id[products].astype(str),
            "name": graph.node_name[products],
            "output": y,
            "upstreamness": u,
            "downstreamness": d,
        }
    )[in_bom | (y > 0)].reset_index(drop=True)
    t["position"] = place_by_terciles(t["upstreamness"].to_numpy())
    t = t.sort_values("upstreamness", ascending=False, kind="stable").reset_index(drop=True)
    t.insert(0, "finding_id", "position:" + t["product_id"])
    t["reason"] = [
        f"{n} is on average {u:.2f} production stages from final use ({p}); a unit of it "
        f"draws {d:.2f} units of inputs in total."
        for n, u, p, d in zip(
            t["name"], t["upstreamness"], t["position"], t["downstreamness"], strict=True
        )
    ]
    return t


# --------------------------------------------------------------------------- BEA tables
@dataclass(frozen=True)
class BeaTables:
    """BEA Make (industry x commodity) and Use (commodity x industry) tables of one year.

    ``make`` and ``use`` hold only the industry and commodity blocks, indexed by BEA summary
    codes; ``industry_output`` is total industry output, ``names`` the industry names.
    """

    make: pd.DataFrame
    use: pd.DataFrame
    industry_output: pd.Series
    names: pd.Series


@dataclass(frozen=True)
class TotalRequirementsCheck:
    """Computed vs published total requirements: the difference and its summary."""

    computed: pd.DataFrame
    published: pd.DataFrame
    abs_diff: pd.DataFrame
    median_abs_diff: float
    max_abs_diff: float
    worst: tuple[str, str]


def bundled_data_dir() -> Path:
    """Directory of the bundled BEA summary tables."""
    return Path(__file__).resolve().parent / "data"


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise NotFoundError(f"BEA table {path.name!r} not found in {path.parent}.")
    return pd.read_csv(path, index_col=0)


def read_bea_summary(data_dir: Path | str | None = None) -> BeaTables:
    """Read the 2015 BEA summary Make and Use tables after redefinitions.

    Parameters
    ----------
    data_dir : path, optional
        Directory with ``Summary_Make_2015_AfterRedef_12sch.csv`` and
        ``Summary_Use_2015_PRO_AfterRedef_12sch.csv`` (default: the bundled copies).
    """
    d = Path(data_dir) if data_dir is not None else bundled_data_dir()
    make = _read(d / "Summary_Make_2015_AfterRedef_12sch.csv")
    use = _read(d / "Summary_Use_2015_PRO_AfterRedef_12sch.csv")
    industries = [c for c in make.index if c != "Total Commodity Output"]
    commodities = [c for c in make.columns if c != "Total Industry Output"]
    missing = [c for c in industries if c not in use.columns] + [
        c for c in commodities if c not in use.index
    ]
    if missing:
        raise ValidationError(f"Make and Use tables disagree on codes {missing[:5]}.")
    names_path = d / "Summary_IndustryCodeName_2012.csv"
    if names_path.is_file():
        nm = pd.read_csv(names_path)
        names = pd.Series(
            nm["BEA_2012_Summary_Industry_Name"].to_numpy(),
            index=nm["BEA_2012_Summary_Industry_Code"].to_numpy(),
        ).reindex(industries)
    else:
        names = pd.Series(industries, index=industries)
    v = make.loc[industries, commodities].astype(float)
    return BeaTables(
        make=v,
        use=use.loc[commodities, industries].astype(float),
        industry_output=v.sum(axis=1),
        names=names.fillna(pd.Series(industries, index=industries)),
    )


def read_bea_published_ixc_tr(path: Path | str | None = None, year: int = 2015) -> pd.DataFrame:
    """BEA's published industry-by-commodity total requirements (after redefinitions).

    ``path`` is the bundled CSV of the 2015 sheet (default) or BEA's
    ``IxC_TR_1997-2015_Summary.xlsx`` (then ``year`` picks the sheet).
    """
    p = (
        Path(path)
        if path is not None
        else bundled_data_dir() / "Summary_IxC_TR_2015_AfterRedef.csv"
    )
    if not p.is_file():
        raise NotFoundError(f"Published total requirements table {str(p)!r} not found.")
    if p.suffix == ".csv":
        return _read(p).astype(float)
    raw = pd.read_excel(p, sheet_name=str(year), header=None)
    header = raw.index[raw.iloc[:, 0].astype(str) == "IOCode"]
    if len(header) == 0:
        raise ValidationError(f"Sheet {year} of {p.name} has no 'IOCode' header row.")
    h = int(header[0])
    codes = raw.iloc[h - 1, 2:].astype(str).tolist()
    body = raw.iloc[h + 1 :]
    numeric = pd.to_numeric(body.iloc[:, 2], errors="coerce").notna()
    body = body[body.iloc[:, 0].notna() & numeric.to_numpy()]
    return pd.DataFrame(
        body.iloc[:, 2:].to_numpy(dtype=float),
        index=body.iloc[:, 0].astype(str).tolist(),
        columns=codes,
    )


def bea_total_requirements(tables: BeaTables) -> pd.DataFrame:
    """Industry-by-commodity total requirements ``D (I - B D)^{-1}``.

    ``B = U g^{-1}`` (commodity inputs per dollar of industry output) and ``D = V q^{-1}``
    (industry market shares of each commodity), from the Make table ``V`` and Use table
    ``U`` (Horowitz & Planting 2009, ch. 12, industry-technology assumption).
    """
    v = tables.make.to_numpy()
    u = tables.use.to_numpy()
    g = v.sum(axis=1)
    q = v.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(g[None, :] > 0, u / g[None, :], 0.0)
        d = np.where(q[None, :] > 0, v / q[None, :], 0.0)
    n_c = len(q)
    tr = d @ np.linalg.inv(np.eye(n_c) - b @ d)
    return pd.DataFrame(tr, index=tables.make.index, columns=tables.make.columns)


def compare_total_requirements(
    computed: pd.DataFrame, published: pd.DataFrame
) -> TotalRequirementsCheck:
    """Align two total-requirements tables on their common codes and summarise |diff|.

    With the bundled 2015 tables the median |diff| is about 8e-4 and the maximum about
    0.38 (apparel, 315AL x 315AL), followed by motor vehicles and primary metals: the
    largest gaps sit on the diagonal of manufacturing industries, i.e. in industry market
    shares.  The published table was released before BEA's 2018 comprehensive update,
    whereas the Make/Use tables are the later, revised vintage of the same year, so the
    two are different estimates of 2015; the computation itself reproduces the published
    table where the underlying data did not change (most cells agree to 1e-3).
    """
    rows = [r for r in published.index if r in computed.index]
    cols = [c for c in published.columns if c in computed.columns]
    if not rows or not cols:
        raise ValidationError(
            "The two total-requirements tables share no industry/commodity codes."
        )
    c = computed.loc[rows, cols]
    p = published.loc[rows, cols]
    diff = (c - p).abs()
    arr = diff.to_numpy()
    i, j = np.unravel_index(int(np.nanargmax(arr)), arr.shape)
    return TotalRequirementsCheck(
        computed=c,
        published=p,
        abs_diff=diff,
        median_abs_diff=float(np.nanmedian(arr)),
        max_abs_diff=float(np.nanmax(arr)),
        worst=(rows[i], cols[j]),
    )


def bea_industry_positions(tables: BeaTables) -> pd.DataFrame:
    """Upstreamness, downstreamness and tercile position of BEA summary industries.

    Industry-by-industry direct requirements ``A = D B`` (industry technology) and gross
    output ``g``; upstreamness as in Antràs et al. (2012) without their adjustment for net
    exports and inventory changes.
    """
    v = tables.make.to_numpy()
    u = tables.use.to_numpy()
    g = v.sum(axis=1)
    q = v.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(g[None, :] > 0, u / g[None, :], 0.0)
        d = np.where(q[None, :] > 0, v / q[None, :], 0.0)
    a = d @ b
    up = upstreamness(a, g)
    down = downstreamness(a)
    t = pd.DataFrame(
        {
            "industry": tables.make.index,
            "name": tables.names.to_numpy(),
            "output": g,
            "upstreamness": up,
            "downstreamness": down,
        }
    )
    t["position"] = place_by_terciles(up)
    return t.sort_values("upstreamness", ascending=False, kind="stable").reset_index(drop=True)
