"""Product chokepoints (卡脖子): products whose supply is concentrated, imported and hard to
replace, and on which much final output depends.

Every component, threshold and weight of the score is a column of the result, and every row
carries a ``reason`` text built from them.

Thresholds adopted (defaults of :class:`ChokepointParams`):

* ``hhi_high = 0.25``: a Herfindahl-Hirschman index above 0.25 on the 0-1 scale (2,500 on
  the 0-10,000 scale) is "highly concentrated" in the U.S. DOJ/FTC Horizontal Merger
  Guidelines (2010, section 5.3), the band CEPII uses for trade concentration.  (The 2023
  Merger Guidelines lowered it to 1,800; pass ``hhi_high=0.18`` to follow them.)
* ``import_hhi_high = 0.4``, ``import_share_high = 0.5`` and ``substitution_low = 1.0``:
  the three criteria of the European Commission's bottom-up method for strategic
  dependencies, SWD(2021) 352 final, "Strategic dependencies and capacities", section 2:
  import concentration (HHI of import sources) above 0.4, import dependence (share of
  supply from outside the home area) above 50 %, and low substitutability (here: the
  capacity of known substitutes is below the product's own supply, ratio < 1).

References
----------
.. [1] European Commission (2021). Strategic dependencies and capacities. SWD(2021) 352.
.. [2] U.S. DOJ and FTC (2010). Horizontal Merger Guidelines, section 5.3.
.. [3] Leontief, W. (1986). Input-Output Economics, 2nd ed. Oxford University Press.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from chain_brain.graph.chaingraph import ChainGraph
from graph_schema.errors import ValidationError
from graph_schema.model import NodeLabel

__all__ = [
    "ChokepointParams",
    "hhi",
    "leontief_requirements",
    "leontief_solve",
    "final_output_reach",
    "find_chokepoints",
]


@dataclass(frozen=True)
class ChokepointParams:
    """Thresholds and weights of the product chokepoint score (see module docstring)."""

    hhi_high: float = 0.25
    import_share_high: float = 0.5
    import_hhi_high: float = 0.4
    substitution_low: float = 1.0
    score_high: float = 0.5
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "concentration": 0.30,
            "imports": 0.20,
            "substitution_gap": 0.15,
            "reach": 0.25,
            "few_suppliers": 0.10,
        }
    )

    def __post_init__(self) -> None:
        names = ("hhi_high", "import_share_high", "import_hhi_high", "score_high")
        check_score_params("Chokepoint", self.weights, {n: getattr(self, n) for n in names})


def check_score_params(what: str, weights: dict[str, float], shares: dict[str, float]) -> None:
    """Refuse weights that are negative or sum to zero, and share thresholds outside [0, 1].

    Shared by the chokepoint and weak-link parameter sets; ``shares`` maps each threshold
    that is a share to its value.
    """
    if any(v < 0 for v in weights.values()) or sum(weights.values()) <= 0:
        raise ValidationError(f"{what} weights must be >= 0 with a positive sum; got {weights}.")
    for name, value in shares.items():
        if not 0.0 <= value <= 1.0:
            raise ValidationError(f"{name} must lie in [0, 1]; got {name}={value}.")


def hhi(groups: np.ndarray, keys: np.ndarray, weights: np.ndarray, n_groups: int) -> np.ndarray:
    """Herfindahl-Hirschman index per group on the 0-1 scale.

    ``sum_k s_k**2`` where ``s_k`` is key ``k``'s share of the group's total weight.

    Parameters
    ----------
    groups : array of int
        Group (for example product) of each row, in ``0 .. n_groups - 1``.
    keys : array of int
        What the shares are taken over (firm, region, country) for each row.
    weights : array of float
        Non-negative weight of each row.
    n_groups : int

    Returns
    -------
    ndarray
        HHI per group, NaN for a group with zero total weight.

    Examples
    --------
    >>> hhi(np.array([0, 0, 1]), np.array([5, 6, 5]), np.array([1.0, 3.0, 2.0]), 2)
    array([0.625, 1.   ])
    """
    df = pd.DataFrame({"g": groups, "k": keys, "w": weights})
    per = df.groupby(["g", "k"], sort=False)["w"].sum().reset_index()
    total = np.bincount(per["g"], weights=per["w"], minlength=n_groups)
    g = per["g"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = per["w"].to_numpy() / total[g]
        # astype: bincount of an empty selection is integer-typed
        out = np.bincount(g, weights=share**2, minlength=n_groups).astype(float)
        out[total <= 0] = np.nan
    return out


def leontief_solve(
    m: sp.spmatrix | np.ndarray, b: np.ndarray, *, transpose: bool = False, tol: float = 1e-12
) -> np.ndarray:
    """Solve ``(I - M) x = b`` (or ``(I - M)^T x = b``) for a non-negative matrix ``M``.

    Iterates ``x <- b + M x`` (the Neumann series ``sum_k M^k b``), which is exact after
    ``depth`` steps when ``M`` is the pattern of a DAG (a bill of materials without cycles)
    and converges geometrically when its spectral radius is below 1; falls back to a sparse
    LU solve when 5,000 steps are not enough.  Returns non-finite values if the series
    diverges (the caller reports that ``M`` is not productive).
    """
    a = sp.csr_matrix(m, dtype=float)
    if transpose:
        a = a.T.tocsr()
    b = np.asarray(b, dtype=float)
    x = b.copy()
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(5_000):
            new = b + a @ x
            if not np.all(np.isfinite(new)) or np.abs(new).max(initial=0.0) > 1e12 * scale:
                return np.full_like(b, np.inf)
            if np.abs(new - x).max(initial=0.0) <= tol * scale:
                return new
            x = new
    n = a.shape[0]
    try:
        return np.asarray(spla.spsolve((sp.identity(n, format="csc") - a).tocsc(), b))
    except RuntimeError:
        return np.full_like(b, np.inf)


def leontief_requirements(bom: sp.spmatrix, final_output: np.ndarray) -> np.ndarray:
    """Total requirement of every product implied by final output.

    Solves ``(I - A) x = y`` (Leontief 1986, ch. 2) with ``A[i, j]`` the units of ``i`` per
    unit of ``j`` and ``y`` the final output: ``x_i`` is the direct plus indirect quantity of
    ``i`` that the final output needs (``x_j = y_j`` for a final product nobody requires).
    Sparse LU, so tens of thousands of products are fine.

    Examples
    --------
    >>> a = sp.csr_matrix(np.array([[0.0, 1.5, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]))
    >>> leontief_requirements(a, np.array([0.0, 0.0, 10.0]))
    array([30., 20., 10.])
    """
    n = bom.shape[0]
    y = np.asarray(final_output, dtype=float)
    if n == 0 or not (y > 0).any():
        return np.zeros(n)
    x = leontief_solve(bom, y)
    if not np.all(np.isfinite(x)) or (x < -1e-9 * max(1.0, float(np.abs(y).max()))).any():
        raise ValidationError(
            "The bill of materials is not productive (I - A is singular or has a negative "
            "inverse): a cycle of REQUIRES quantities needs more than one unit of a product "
            "per unit of itself."
        )
    return np.maximum(x, 0.0)


def final_output_reach(
    bom: sp.spmatrix, final_output: np.ndarray, *, max_bytes: int = 256 * 2**20
) -> np.ndarray:
    """Share of final output that needs each product through the bill of materials.

    ``reach_i = sum_j y_j [j needs i] / sum_j y_j`` over final products ``j``, where "needs"
    follows ``REQUIRES`` edges with positive quantity (the pattern of the Leontief inverse).
    Under fixed proportions a loss of a fraction ``f`` of ``i``'s supply, rationed
    proportionally, removes the fraction ``f`` of every final product that needs ``i``, so
    ``f * reach_i`` of final output.  Computed with bit sets (64 final products per machine
    word) propagated from outputs to inputs until stable, in chunks of ``max_bytes``.

    Examples
    --------
    >>> a = sp.csr_matrix(np.array([[0.0, 1.5, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]))
    >>> final_output_reach(a, np.array([0.0, 0.0, 10.0]))
    array([1., 1., 1.])
    """
    n = bom.shape[0]
    y = np.asarray(final_output, dtype=float)
    final = np.flatnonzero(y > 0)
    total = y[final].sum()
    reach = np.zeros(n)
    if n == 0 or total <= 0:
        return reach
    coo = sp.coo_matrix(bom)
    keep = coo.data > 0
    inp, out = coo.row[keep], coo.col[keep]
    words_per_chunk = max(1, int(max_bytes // (8 * max(n, 1) * 3)))
    for start in range(0, len(final), 64 * words_per_chunk):
        chunk = final[start : start + 64 * words_per_chunk]
        k = len(chunk)
        n_words = (k + 63) // 64
        masks = np.zeros((n, n_words), dtype=np.uint64)
        bit = np.arange(k)
        np.bitwise_or.at(
            masks, (chunk, bit // 64), np.left_shift(np.uint64(1), (bit % 64).astype(np.uint64))
        )
        for _ in range(n + 1):
            new = masks.copy()
            np.bitwise_or.at(new, inp, masks[out])
            if np.array_equal(new, masks):
                break
            masks = new
        weights = np.zeros(n_words * 64)
        weights[:k] = y[chunk]
        # byte lookup: table[j, v] = sum of the weights of the bits set in byte value v at
        # byte position j (little-endian words, so bit b of byte j is final 8 j + b)
        bits256 = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little")
        table = weights.reshape(-1, 8) @ bits256.T.astype(float)
        as_bytes = masks.view(np.uint8)
        cols = np.arange(as_bytes.shape[1])
        rows = max(1, int(max_bytes // (as_bytes.shape[1] * 8)))
        for r0 in range(0, n, rows):
            reach[r0 : r0 + rows] += table[cols[None, :], as_bytes[r0 : r0 + rows]].sum(axis=1)
    return reach / total


def _final_products(graph: ChainGraph) -> np.ndarray:
    """Final output per product: supply of products that no other product requires."""
    supply = graph.product_supply
    used_as_input = np.zeros(len(supply), dtype=bool)
    used_as_input[graph.product_local(graph.bom_input)] = True
    return np.where(used_as_input, 0.0, supply)


def find_chokepoints(graph: ChainGraph, params: ChokepointParams | None = None) -> pd.DataFrame:
    """Score every product that has supply or appears in the bill of materials.

    Components (one column each): ``n_firms``, ``n_plants``, ``n_supply_nodes``,
    ``supply``; ``hhi_firm``, ``hhi_region``, ``hhi_country`` (0-1, nodes with unknown
    region/country form one group); ``import_share`` (share of supply with a known country
    outside ``graph.home_countries``), ``import_hhi`` (HHI of foreign supply by country),
    ``unknown_country_share``; ``substitute_supply`` (similarity-weighted supply of
    ``SUBSTITUTES``), ``substitution_ratio``; ``required`` (total requirement from final
    output through the BOM, see :func:`leontief_requirements`), ``reach`` (share of final
    output volume that needs the product, :func:`final_output_reach`), ``top_firm_share`` and ``output_at_risk_top_firm``
    (``reach * top_firm_share``: share of final output lost, under fixed BOM proportions,
    if the largest supplier stops).  Then the normalised components ``c_*``, the weights
    ``w_*``, the thresholds ``thr_*``, the flags, ``score`` and ``is_chokepoint``.

    A product is a chokepoint when its substitution ratio is low and its supply is highly
    concentrated (``hhi_firm > hhi_high``), single-sourced, or meets all three EU criteria;
    or when its score reaches ``score_high``.

    Examples
    --------
    >>> from chain_brain.graph.samples import toy_chain
    >>> g = ChainGraph.from_data(toy_chain())
    >>> t = find_chokepoints(g).set_index("product_id")
    >>> float(round(t.loc["ore", "hhi_firm"], 3)), float(round(t.loc["ore", "import_share"], 2))
    (0.52, 0.6)
    >>> bool(t.loc["chip", "is_chokepoint"]), int(t.loc["chip", "n_firms"])
    (True, 1)
    """
    p = params or ChokepointParams()
    products = graph.product_nodes
    n_p = len(products)
    o = graph.offers
    o = o[o["weight"] > 0]
    g = graph.product_local(o["product"].to_numpy())
    node = o["node"].to_numpy()
    w = o["weight"].to_numpy()
    firm = o["firm"].to_numpy()
    supply = graph.product_supply

    plant_code = list(graph.label_offset).index(NodeLabel.PLANT)
    is_plant = graph.node_label[node] == plant_code
    pairs = pd.DataFrame({"g": g, "f": firm})
    n_firms = np.bincount(pairs.drop_duplicates()["g"], minlength=n_p)
    n_plants = np.bincount(g[is_plant], minlength=n_p)
    n_nodes = np.bincount(g, minlength=n_p)

    region = graph.node_region[node]
    country = graph.node_country[node]
    hhi_firm = hhi(g, firm, w, n_p)
    hhi_region = hhi(g, region, w, n_p)
    hhi_country = hhi(g, country, w, n_p)
    known = country >= 0
    foreign = known & ~graph.is_domestic(node)
    known_w = np.bincount(g[known], weights=w[known], minlength=n_p)
    foreign_w = np.bincount(g[foreign], weights=w[foreign], minlength=n_p)
    with np.errstate(invalid="ignore", divide="ignore"):
        import_share = np.where(known_w > 0, foreign_w / known_w, np.nan)
        unknown_share = np.where(supply > 0, 1.0 - known_w / supply, np.nan)
    import_hhi = hhi(g[foreign], country[foreign], w[foreign], n_p)

    top_firm = (
        pd.DataFrame({"g": g, "f": firm, "w": w}).groupby(["g", "f"])["w"].sum().groupby("g").max()
    )
    top_firm_w = np.zeros(n_p)
    top_firm_w[top_firm.index.to_numpy()] = top_firm.to_numpy()

    # substitutes (symmetric)
    sa = graph.product_local(graph.subst_a)
    sb = graph.product_local(graph.subst_b)
    sim = graph.subst_similarity
    subst_supply = np.bincount(sa, weights=sim * supply[sb], minlength=n_p) + np.bincount(
        sb, weights=sim * supply[sa], minlength=n_p
    )
    # BOM reach
    final_output = _final_products(graph)
    required = leontief_requirements(graph.bom_matrix, final_output)
    reach = final_output_reach(graph.bom_matrix, final_output)

    with np.errstate(invalid="ignore", divide="ignore"):
        subst_ratio = np.where(
            supply > 0, subst_supply / supply, np.where(subst_supply > 0, np.inf, 0.0)
        )
        top_share = np.where(supply > 0, top_firm_w / supply, np.nan)
    relevant = (supply > 0) | (required > 0)

    t = pd.DataFrame(
        {
            "product": products,
            "product_id": graph.node_id[products].astype(str),
            "name": graph.node_name[products],
            "n_firms": n_firms,
            "n_plants": n_plants,
            "n_supply_nodes": n_nodes,
            "supply": supply,
            "hhi_firm": hhi_firm,
            "hhi_region": hhi_region,
            "hhi_country": hhi_country,
            "import_share": import_share,
            "import_hhi": import_hhi,
            "unknown_country_share": unknown_share,
            "substitute_supply": subst_supply,
            "substitution_ratio": subst_ratio,
            "required": required,
            "reach": reach,
            "top_firm_share": top_share,
            "output_at_risk_top_firm": reach * np.nan_to_num(top_share),
        }
    )[relevant].reset_index(drop=True)

    no_supply = t["supply"] <= 0
    t["c_concentration"] = np.where(no_supply, 1.0, t["hhi_firm"].fillna(1.0))
    t["c_imports"] = t["import_share"].fillna(0.0)
    t["c_substitution_gap"] = 1.0 - np.minimum(1.0, t["substitution_ratio"].to_numpy())
    t["c_reach"] = t["reach"]
    t["c_few_suppliers"] = np.where(t["n_firms"] > 0, 1.0 / np.maximum(t["n_firms"], 1), 1.0)
    wsum = sum(p.weights.values())
    score = np.zeros(len(t))
    for name in ("concentration", "imports", "substitution_gap", "reach", "few_suppliers"):
        weight = p.weights.get(name, 0.0)
        t[f"w_{name}"] = weight
        score += weight * t[f"c_{name}"].to_numpy()
    t["score"] = score / wsum
    t["thr_hhi_high"] = p.hhi_high
    t["thr_import_share_high"] = p.import_share_high
    t["thr_import_hhi_high"] = p.import_hhi_high
    t["thr_substitution_low"] = p.substitution_low
    t["thr_score_high"] = p.score_high
    t["flag_no_supply"] = no_supply
    t["flag_single_source"] = t["n_firms"] == 1
    t["flag_concentrated"] = t["hhi_firm"].fillna(0) > p.hhi_high
    t["flag_import_dependent"] = t["import_share"].fillna(0) > p.import_share_high
    t["flag_import_concentrated"] = t["import_hhi"].fillna(0) > p.import_hhi_high
    t["flag_low_substitution"] = t["substitution_ratio"] < p.substitution_low
    t["flag_eu_strategic"] = (
        t["flag_import_dependent"] & t["flag_import_concentrated"] & t["flag_low_substitution"]
    )
    t["is_chokepoint"] = (
        t["flag_low_substitution"]
        & (
            t["flag_concentrated"]
            | t["flag_single_source"]
            | t["flag_no_supply"]
            | t["flag_eu_strategic"]
        )
    ) | (t["score"] >= p.score_high)
    t = t.sort_values(["is_chokepoint", "score"], ascending=False, kind="stable")
    t = t.reset_index(drop=True)
    t.insert(0, "finding_id", "chokepoint:" + t["product_id"])
    t["reason"] = [_reason(r) for r in t.itertuples(index=False)]
    return t


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.0f}%"


def _reason(r: object) -> str:
    g = r.__getattribute__
    parts = [
        f"{g('name')} ({g('product_id')}): score {g('score'):.2f}"
        f" (threshold {g('thr_score_high'):.2f})."
    ]
    if g("flag_no_supply"):
        parts.append("No recorded supplier although the BOM requires it.")
    else:
        parts.append(
            f"{g('n_firms')} supplying firm(s), {g('n_plants')} plant(s); firm HHI "
            f"{g('hhi_firm'):.2f} ({'above' if g('flag_concentrated') else 'not above'} "
            f"{g('thr_hhi_high'):.2f}); largest firm holds {_pct(g('top_firm_share'))}."
        )
        parts.append(
            f"Imports {_pct(g('import_share'))} of supply (EU threshold "
            f"{_pct(g('thr_import_share_high'))}), import-source HHI "
            f"{g('import_hhi'):.2f} (threshold {g('thr_import_hhi_high'):.2f}); "
            f"region HHI {g('hhi_region'):.2f}, country HHI {g('hhi_country'):.2f}."
            if g("import_hhi") == g("import_hhi")
            else f"Imports {_pct(g('import_share'))} of supply; region HHI "
            f"{g('hhi_region'):.2f}, country HHI {g('hhi_country'):.2f}."
        )
    parts.append(
        f"Substitutes cover {g('substitution_ratio'):.2f}x its supply (low below "
        f"{g('thr_substitution_low'):.2f})."
    )
    parts.append(
        f"{_pct(g('reach'))} of final output needs it through the BOM; losing the largest "
        f"supplier puts {_pct(g('output_at_risk_top_firm'))} of final output at risk."
    )
    if g("flag_eu_strategic"):
        parts.append("Meets all three EU strategic-dependency criteria.")
    return " ".join(parts)
