"""Small snapshots to try the analytics on: a hand-checkable toy chain and a random tiered one.

:func:`toy_chain` is the worked example of the docstrings and tests (every number in it can
be checked by hand).  :func:`random_chain` makes a tiered firm network of any size with a
bill of materials, skewed supplier counts and foreign suppliers, generated with vectorised
numpy (no loop over edges) so that benchmarks can build 1M+ edges in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType

__all__ = ["toy_chain", "random_chain", "graph_data"]

_L = NodeLabel
_R = RelType


def graph_data(
    nodes: dict[NodeLabel, list[dict[str, object]] | pd.DataFrame],
    rels: list[tuple[RelType, NodeLabel, NodeLabel, list[dict[str, object]] | pd.DataFrame]],
) -> GraphData:
    """Build a :class:`GraphData` from plain rows (for examples and tests).

    Parameters
    ----------
    nodes : dict
        Label -> list of property rows, each with an ``id``.
    rels : list
        ``(type, src_label, dst_label, rows)`` with ``src``/``dst`` in each row.
    """
    out = GraphData()
    for label, rows in nodes.items():
        out.nodes.append(NodeFrame(label, pd.DataFrame(rows)))
    for rel_type, src, dst, rows in rels:
        out.rels.append(RelFrame(rel_type, src, dst, pd.DataFrame(rows)))
    return out


def toy_chain() -> GraphData:
    """A six-firm car chain: ore -> steel -> car, plus chips.

    Products: ``ore``; ``steel`` requires 1.5 ore; ``chip``; ``car`` requires 1.0 steel and
    4.0 chips.  Firms (country, product, capacity): M1 (CHN, ore, 60), M2 (AUS, ore, 90),
    S1 (CHN, steel, 80 via its plant S1P), S2 (CHN, steel, 40), C1 (TWN, chip, 500),
    A1 (CHN, car, 100).  Supplies (volume): M1->S1P ore 60, M2->S1P ore 40, M2->S2 ore 50,
    S1P->A1 steel 70, S2->A1 steel 30, C1->A1 chip 400.  Segments of chain ``auto``:
    ``mining`` (order 0: ore, M1, M2), ``materials`` (1: steel, chip, S1P, S2, C1),
    ``assembly`` (2: car, A1).  ``steel`` has a substitute ``alu`` that nobody makes yet.
    """
    firms = [
        {"id": "M1", "name": "Mine 1", "country": "CHN", "region": "HB"},
        {"id": "M2", "name": "Mine 2", "country": "AUS", "region": "WA"},
        {"id": "S1", "name": "Steel 1", "country": "CHN", "region": "HB"},
        {"id": "S2", "name": "Steel 2", "country": "CHN", "region": "JS"},
        {"id": "C1", "name": "Chip 1", "country": "TWN", "region": "TW"},
        {"id": "A1", "name": "Auto 1", "country": "CHN", "region": "JS"},
    ]
    plants = [{"id": "S1P", "name": "Steel 1 works", "operator": "S1", "region": "HB"}]
    regions = [
        {"id": "HB", "name": "Hebei", "country": "CHN"},
        {"id": "JS", "name": "Jiangsu", "country": "CHN"},
        {"id": "WA", "name": "Western Australia", "country": "AUS"},
        {"id": "TW", "name": "Taiwan", "country": "TWN"},
    ]
    products = [{"id": p, "name_en": p} for p in ("ore", "steel", "chip", "car", "alu")]
    segments = [
        {"id": "mining", "chain": "auto", "name_en": "mining", "position": "upstream", "order": 0},
        {
            "id": "materials",
            "chain": "auto",
            "name_en": "materials",
            "position": "midstream",
            "order": 1,
        },
        {
            "id": "assembly",
            "chain": "auto",
            "name_en": "assembly",
            "position": "downstream",
            "order": 2,
        },
    ]

    def sup(s: str, d: str, p: str, v: float) -> dict[str, object]:
        return {"src": s, "dst": d, "product": p, "volume": v}

    return graph_data(
        {
            _L.FIRM: firms,
            _L.PLANT: plants,
            _L.REGION: regions,
            _L.PRODUCT: products,
            _L.CHAIN: [{"id": "auto", "name_en": "automotive"}],
            _L.CHAIN_SEGMENT: segments,
        },
        [
            (
                _R.SUPPLIES,
                _L.FIRM,
                _L.PLANT,
                [sup("M1", "S1P", "ore", 60), sup("M2", "S1P", "ore", 40)],
            ),
            (
                _R.SUPPLIES,
                _L.FIRM,
                _L.FIRM,
                [
                    sup("M2", "S2", "ore", 50),
                    sup("S2", "A1", "steel", 30),
                    sup("C1", "A1", "chip", 400),
                ],
            ),
            (_R.SUPPLIES, _L.PLANT, _L.FIRM, [sup("S1P", "A1", "steel", 70)]),
            (
                _R.PRODUCES,
                _L.FIRM,
                _L.PRODUCT,
                [
                    {"src": "M1", "dst": "ore", "capacity": 60},
                    {"src": "M2", "dst": "ore", "capacity": 90},
                    {"src": "S2", "dst": "steel", "capacity": 40},
                    {"src": "C1", "dst": "chip", "capacity": 500},
                    {"src": "A1", "dst": "car", "capacity": 100},
                ],
            ),
            (_R.PRODUCES, _L.PLANT, _L.PRODUCT, [{"src": "S1P", "dst": "steel", "capacity": 80}]),
            (
                _R.REQUIRES,
                _L.PRODUCT,
                _L.PRODUCT,
                [
                    {"src": "steel", "dst": "ore", "quantity": 1.5},
                    {"src": "car", "dst": "steel", "quantity": 1.0},
                    {"src": "car", "dst": "chip", "quantity": 4.0},
                ],
            ),
            (
                _R.SUBSTITUTES,
                _L.PRODUCT,
                _L.PRODUCT,
                [{"src": "steel", "dst": "alu", "similarity": 0.8}],
            ),
            (
                _R.IN_SEGMENT,
                _L.PRODUCT,
                _L.CHAIN_SEGMENT,
                [
                    {"src": "ore", "dst": "mining"},
                    {"src": "steel", "dst": "materials"},
                    {"src": "chip", "dst": "materials"},
                    {"src": "car", "dst": "assembly"},
                ],
            ),
            (
                _R.IN_SEGMENT,
                _L.FIRM,
                _L.CHAIN_SEGMENT,
                [
                    {"src": "M1", "dst": "mining"},
                    {"src": "M2", "dst": "mining"},
                    {"src": "S2", "dst": "materials"},
                    {"src": "C1", "dst": "materials"},
                    {"src": "A1", "dst": "assembly"},
                ],
            ),
            (_R.IN_SEGMENT, _L.PLANT, _L.CHAIN_SEGMENT, [{"src": "S1P", "dst": "materials"}]),
        ],
    )


_COUNTRIES = np.array(["CHN"] * 8 + ["USA", "JPN", "KOR", "DEU", "TWN", "AUS"], dtype=object)


def random_chain(
    n_firms: int = 1_000,
    n_edges: int = 8_000,
    *,
    n_tiers: int = 6,
    products_per_tier: int = 20,
    n_regions: int = 31,
    seed: int = 0,
) -> GraphData:
    """A random tiered supply network with a BOM, for benchmarks and property tests.

    Firms sit in tiers 0 (raw materials) .. ``n_tiers - 1`` (final assembly); each makes
    one product of its tier (Zipf-skewed, so some products have very few makers).  A
    product of tier t requires two or three products of tier t-1.  Each supply edge joins a
    customer in tier t >= 1 to a maker of one of its product's inputs.  One chain with one
    segment per tier; a substitute for every fifth product.
    """
    if n_firms < n_tiers * products_per_tier or n_edges < 1:
        raise ValidationError(
            f"random_chain needs n_firms >= n_tiers * products_per_tier "
            f"({n_tiers * products_per_tier}) and n_edges >= 1; got {n_firms=}, {n_edges=}."
        )
    rng = np.random.default_rng(seed)
    n_prod = n_tiers * products_per_tier
    prod_tier = np.repeat(np.arange(n_tiers), products_per_tier)
    prod_ids = np.array([f"P{i:04d}" for i in range(n_prod)], dtype=object)
    # BOM: each product of tier t >= 1 needs 2-3 products of tier t-1
    n_in = rng.integers(2, 4, size=n_prod)
    n_in[prod_tier == 0] = 0
    bom_out = np.repeat(np.arange(n_prod), n_in)
    bom_in = (prod_tier[bom_out] - 1) * products_per_tier + rng.integers(
        0, products_per_tier, size=len(bom_out)
    )
    bom = pd.DataFrame({"o": bom_out, "i": bom_in}).drop_duplicates().to_numpy()
    bom_out, bom_in = bom[:, 0], bom[:, 1]
    bom_qty = rng.uniform(0.5, 3.0, size=len(bom_out)).round(2)
    # firms: every product has at least one maker, the rest Zipf-skewed
    zipf = 1.0 / np.arange(1, products_per_tier + 1) ** 1.2
    extra = n_firms - n_prod
    rank = rng.choice(products_per_tier, size=extra, p=zipf / zipf.sum())
    firm_prod = np.concatenate(
        [np.arange(n_prod), rng.integers(0, n_tiers, size=extra) * products_per_tier + rank]
    )
    rng.shuffle(firm_prod)
    firm_ids = np.array([f"F{i:06d}" for i in range(n_firms)], dtype=object)
    country = _COUNTRIES[rng.integers(0, len(_COUNTRIES), size=n_firms)]
    region_ids = np.array([f"R{i:02d}" for i in range(n_regions)], dtype=object)
    region = region_ids[rng.integers(0, n_regions, size=n_firms)]
    capacity = rng.lognormal(4.0, 1.0, size=n_firms).round(1)
    # makers of each product, as sorted runs
    order = np.argsort(firm_prod, kind="stable")
    starts = np.searchsorted(firm_prod[order], np.arange(n_prod))
    counts = np.bincount(firm_prod, minlength=n_prod)
    # supply edges
    customers = np.flatnonzero(prod_tier[firm_prod] >= 1)
    cust = customers[rng.integers(0, len(customers), size=n_edges)]
    bom_start = np.searchsorted(bom_out, np.arange(n_prod))
    bom_n = np.bincount(bom_out, minlength=n_prod)
    cp = firm_prod[cust]
    pick = bom_start[cp] + (rng.random(n_edges) * bom_n[cp]).astype(np.int64)
    in_prod = bom_in[pick]
    supplier = order[starts[in_prod] + (rng.random(n_edges) * counts[in_prod]).astype(np.int64)]
    edges = pd.DataFrame(
        {"src": firm_ids[supplier], "dst": firm_ids[cust], "product": prod_ids[in_prod]}
    ).drop_duplicates()
    edges["volume"] = rng.lognormal(2.0, 1.0, size=len(edges)).round(2)
    edges["lead_time_days"] = rng.integers(3, 60, size=len(edges)).astype(float)
    subst = np.arange(0, n_prod - 1, 5)
    seg_ids = np.array([f"T{t}" for t in range(n_tiers)], dtype=object)
    positions = np.where(
        np.arange(n_tiers) < n_tiers / 3,
        "upstream",
        np.where(np.arange(n_tiers) < 2 * n_tiers / 3, "midstream", "downstream"),
    )
    return graph_data(
        {
            _L.FIRM: pd.DataFrame(
                {"id": firm_ids, "name": firm_ids, "country": country, "region": region}
            ),
            _L.REGION: [{"id": r, "name": r, "country": "CHN"} for r in region_ids],
            _L.PRODUCT: [{"id": p, "name_en": p} for p in prod_ids],
            _L.CHAIN: [{"id": "C", "name_en": "random chain"}],
            _L.CHAIN_SEGMENT: [
                {"id": s, "chain": "C", "name_en": s, "position": pos, "order": t}
                for t, (s, pos) in enumerate(zip(seg_ids, positions, strict=True))
            ],
        },
        [
            (_R.SUPPLIES, _L.FIRM, _L.FIRM, edges),
            (
                _R.PRODUCES,
                _L.FIRM,
                _L.PRODUCT,
                pd.DataFrame({"src": firm_ids, "dst": prod_ids[firm_prod], "capacity": capacity}),
            ),
            (
                _R.REQUIRES,
                _L.PRODUCT,
                _L.PRODUCT,
                pd.DataFrame(
                    {"src": prod_ids[bom_out], "dst": prod_ids[bom_in], "quantity": bom_qty}
                ),
            ),
            (
                _R.SUBSTITUTES,
                _L.PRODUCT,
                _L.PRODUCT,
                pd.DataFrame(
                    {"src": prod_ids[subst], "dst": prod_ids[subst + 1], "similarity": 0.7}
                ),
            ),
            (
                _R.IN_SEGMENT,
                _L.PRODUCT,
                _L.CHAIN_SEGMENT,
                pd.DataFrame({"src": prod_ids, "dst": seg_ids[prod_tier]}),
            ),
            (
                _R.IN_SEGMENT,
                _L.FIRM,
                _L.CHAIN_SEGMENT,
                pd.DataFrame({"src": firm_ids, "dst": seg_ids[prod_tier[firm_prod]]}),
            ),
        ],
    )
