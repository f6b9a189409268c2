"""The steel chain: products with HS 2022 codes, bills of materials and chain segments.

Products
--------
Raw materials (iron ore HS 2601, metallurgical coal HS 2701, coke HS 2704, ferrous scrap
HS 7204), iron making (pig iron / BF hot metal HS 7201, direct-reduced iron HS 7203), steel
making (crude steel HS 7206, semi-finished billet/bloom/slab HS 7207), and finished rolled and
drawn products (HS 7208-7229; tubes and rails from HS chapter 73).

Bills of materials (``(output)-[:REQUIRES {quantity}]->(input)``, tonnes per tonne)
-------------------------------------------------------------------------------------
* BF hot metal: about 1.6 t iron ore and 0.77 t metallurgical coal (charged as coke) per t,
  worldsteel, "Fact sheet: Raw materials" and IEA (2020), *Iron and Steel Technology
  Roadmap*, Paris: IEA, ch. 1 (BF-BOF material flows).
* DRI: about 1.45 t iron ore (pellets) per t, IEA (2020), ibid. (gas-based DRI).
* Crude steel depends on the route.  Route bills: BF-BOF about 0.9 t hot metal and 0.2 t scrap
  per t (worldsteel fact sheet: the BOF charge is up to ~30 % scrap); EAF about 1.1 t
  metallic charge per t (scrap and DRI), of which we take 0.85 t scrap and 0.25 t DRI.  The
  single crude-steel product of the graph carries the route-weighted bill with the world route
  shares BOF 71 % / EAF 29 % (worldsteel, *World Steel in Figures 2023*), computed in
  :func:`crude_steel_bom`; :data:`ROUTE_BOM` keeps the route bills for models that split
  production by process (the ``process`` key of ``PRODUCES``).
* Downstream yields are assumed typical process yields, not taken from a cited table:
  casting 1.03 t crude steel per t semi-finished; hot rolling 1.05 t semi-finished per t;
  cold rolling 1.08 t hot-rolled coil per t; coating 1.02 t cold-rolled per t; wire drawing
  1.05 t wire rod per t; welded tube 1.05 t hot-rolled coil per t.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from graph_schema.model import Position

__all__ = [
    "CHAIN_ID",
    "SteelProduct",
    "STEEL_PRODUCTS",
    "ROUTE_BOM",
    "ROUTE_SHARES",
    "BOM",
    "SEGMENTS",
    "END_USE_INDUSTRIES",
    "GEM_PRODUCT_WORDS",
    "crude_steel_bom",
    "steel_chain_frames",
]

CHAIN_ID = "chain:steel"


@dataclass(frozen=True)
class SteelProduct:
    """One product of the steel chain."""

    id: str
    name_en: str
    name_zh: str
    hs_code: str
    segment: str  # ChainSegment id


_SEG_RAW = "chain:steel:raw-materials"
_SEG_IRON = "chain:steel:iron-making"
_SEG_STEEL = "chain:steel:steel-making"
_SEG_ROLLED = "chain:steel:rolled-products"
_SEG_END = "chain:steel:end-use"

#: (id, name_en, name_zh, position, order)
SEGMENTS: tuple[tuple[str, str, str, Position, int], ...] = (
    (_SEG_RAW, "Raw materials", "原燃料", Position.UPSTREAM, 0),
    (_SEG_IRON, "Iron making", "炼铁", Position.MIDSTREAM, 1),
    (_SEG_STEEL, "Steel making", "炼钢", Position.MIDSTREAM, 2),
    (_SEG_ROLLED, "Rolled products", "钢材轧制", Position.DOWNSTREAM, 3),
    (_SEG_END, "End-use sectors", "下游用钢行业", Position.DOWNSTREAM, 4),
)

STEEL_PRODUCTS: tuple[SteelProduct, ...] = (
    SteelProduct("steel:iron-ore", "Iron ore and concentrates", "铁矿石", "2601", _SEG_RAW),
    SteelProduct("steel:met-coal", "Metallurgical (coking) coal", "炼焦煤", "2701", _SEG_RAW),
    SteelProduct("steel:coke", "Coke", "焦炭", "2704", _SEG_RAW),
    SteelProduct("steel:scrap", "Ferrous scrap", "废钢", "7204", _SEG_RAW),
    SteelProduct("steel:pig-iron", "Pig iron (BF hot metal)", "生铁", "7201", _SEG_IRON),
    SteelProduct("steel:dri", "Direct-reduced iron (DRI/HBI)", "直接还原铁", "7203", _SEG_IRON),
    SteelProduct("steel:crude-steel", "Crude steel", "粗钢", "7206", _SEG_STEEL),
    SteelProduct(
        "steel:semi-finished",
        "Semi-finished steel (billet, bloom, slab)",
        "钢坯",
        "7207",
        _SEG_STEEL,
    ),
    SteelProduct(
        "steel:hot-rolled-coil", "Hot-rolled coil and strip", "热轧卷板", "7208", _SEG_ROLLED
    ),
    SteelProduct("steel:plate", "Heavy plate", "中厚板", "7208", _SEG_ROLLED),
    SteelProduct("steel:cold-rolled", "Cold-rolled sheet", "冷轧板", "7209", _SEG_ROLLED),
    SteelProduct("steel:coated", "Coated and galvanized sheet", "涂镀板", "7210", _SEG_ROLLED),
    SteelProduct("steel:wire-rod", "Wire rod", "线材", "7213", _SEG_ROLLED),
    SteelProduct("steel:rebar", "Reinforcing bar (rebar)", "螺纹钢", "7214", _SEG_ROLLED),
    SteelProduct("steel:bar", "Bars and rods", "棒材", "7214", _SEG_ROLLED),
    SteelProduct("steel:sections", "Angles, shapes and sections", "型钢", "7216", _SEG_ROLLED),
    SteelProduct("steel:wire", "Wire", "钢丝", "7217", _SEG_ROLLED),
    SteelProduct("steel:stainless", "Stainless steel products", "不锈钢材", "7219", _SEG_ROLLED),
    SteelProduct("steel:alloy", "Other alloy steel products", "合金钢材", "7225", _SEG_ROLLED),
    SteelProduct("steel:rail", "Railway rails", "钢轨", "7302", _SEG_ROLLED),
    SteelProduct("steel:pipe", "Tubes and pipes", "钢管", "7306", _SEG_ROLLED),
)

#: GEM "Steel products" words -> product id (words not listed are ignored).
GEM_PRODUCT_WORDS: dict[str, str] = {
    "billet": "steel:semi-finished",
    "slab": "steel:semi-finished",
    "bloom": "steel:semi-finished",
    "ingot": "steel:crude-steel",
    "rebar": "steel:rebar",
    "bar": "steel:bar",
    "round bar": "steel:bar",
    "rounds": "steel:bar",
    "rod": "steel:bar",
    "square": "steel:bar",
    "wire rod": "steel:wire-rod",
    "wire": "steel:wire",
    "mesh": "steel:wire",
    "coil": "steel:hot-rolled-coil",
    "hot rolled": "steel:hot-rolled-coil",
    "hot rolled coil": "steel:hot-rolled-coil",
    "strip": "steel:hot-rolled-coil",
    "plate": "steel:plate",
    "sheet": "steel:cold-rolled",
    "cold rolled": "steel:cold-rolled",
    "galvanized": "steel:coated",
    "coated": "steel:coated",
    "angle": "steel:sections",
    "profile": "steel:sections",
    "sections": "steel:sections",
    "channel": "steel:sections",
    "beam": "steel:sections",
    "h-beam": "steel:sections",
    "structural": "steel:sections",
    "shapes": "steel:sections",
    "pipe": "steel:pipe",
    "tube": "steel:pipe",
    "rail": "steel:rail",
    "stainless": "steel:stainless",
    "spring steel": "steel:alloy",
    "special": "steel:alloy",
    "pig iron": "steel:pig-iron",
    "dri": "steel:dri",
    "hbi": "steel:dri",
}

#: Route bills of crude steel, t input per t crude steel (see module docstring).
ROUTE_BOM: dict[str, dict[str, float]] = {
    "BOF": {"steel:pig-iron": 0.9, "steel:scrap": 0.2},
    "EAF": {"steel:scrap": 0.85, "steel:dri": 0.25},
}
#: World crude-steel output shares by route, worldsteel *World Steel in Figures 2023*.
ROUTE_SHARES: dict[str, float] = {"BOF": 0.71, "EAF": 0.29}


def crude_steel_bom() -> dict[str, float]:
    """Route-weighted bill of one tonne of crude steel: sum over routes of share x route bill."""
    out: dict[str, float] = {}
    for route, share in ROUTE_SHARES.items():
        for item, qty in ROUTE_BOM[route].items():
            out[item] = round(out.get(item, 0.0) + share * qty, 4)
    return out


#: (output, input, t input per t output); the crude-steel rows come from crude_steel_bom().
BOM: tuple[tuple[str, str, float], ...] = (
    ("steel:pig-iron", "steel:iron-ore", 1.6),
    ("steel:pig-iron", "steel:met-coal", 0.77),
    ("steel:dri", "steel:iron-ore", 1.45),
    ("steel:semi-finished", "steel:crude-steel", 1.03),
    ("steel:hot-rolled-coil", "steel:semi-finished", 1.05),
    ("steel:plate", "steel:semi-finished", 1.05),
    ("steel:wire-rod", "steel:semi-finished", 1.05),
    ("steel:rebar", "steel:semi-finished", 1.05),
    ("steel:bar", "steel:semi-finished", 1.05),
    ("steel:sections", "steel:semi-finished", 1.05),
    ("steel:rail", "steel:semi-finished", 1.05),
    ("steel:stainless", "steel:semi-finished", 1.05),
    ("steel:alloy", "steel:semi-finished", 1.05),
    ("steel:cold-rolled", "steel:hot-rolled-coil", 1.08),
    ("steel:coated", "steel:cold-rolled", 1.02),
    ("steel:wire", "steel:wire-rod", 1.05),
    ("steel:pipe", "steel:hot-rolled-coil", 1.05),
)

#: GEM end-user words -> (ISIC Rev.4 code, English name) of the using industry.
END_USE_INDUSTRIES: dict[str, tuple[str, str]] = {
    "building and infrastructure": ("F", "Construction"),
    "tools and machinery": ("28", "Manufacture of machinery and equipment n.e.c."),
    "automotive": ("29", "Manufacture of motor vehicles, trailers and semi-trailers"),
    "transport": ("30", "Manufacture of other transport equipment"),
    "energy": ("D", "Electricity, gas, steam and air conditioning supply"),
    "steel packaging": ("259", "Manufacture of other fabricated metal products"),
}


@dataclass
class SteelChainFrames:
    """Raw tables of the steel chain catalogue (before validation)."""

    products: pd.DataFrame
    requires: pd.DataFrame
    chain: pd.DataFrame
    segments: pd.DataFrame
    segment_part_of: pd.DataFrame
    product_in_segment: pd.DataFrame
    industries: pd.DataFrame
    industry_in_segment: pd.DataFrame


def steel_chain_frames() -> SteelChainFrames:
    """The steel chain catalogue as raw tables: products, BOM, chain, segments, end uses."""
    products = pd.DataFrame(
        {
            "id": [p.id for p in STEEL_PRODUCTS],
            "name_en": [p.name_en for p in STEEL_PRODUCTS],
            "name_zh": [p.name_zh for p in STEEL_PRODUCTS],
            "hs_code": [p.hs_code for p in STEEL_PRODUCTS],
            "unit": "t",
        }
    )
    bom = [(o, i, q) for o, i, q in BOM]
    bom += [("steel:crude-steel", i, q) for i, q in crude_steel_bom().items()]
    requires = pd.DataFrame(bom, columns=["src", "dst", "quantity"])
    chain = pd.DataFrame(
        {
            "id": [CHAIN_ID],
            "name_en": ["Iron and steel"],
            "name_zh": ["钢铁产业链"],
            "description": ["Iron ore and coal to finished steel and its using sectors."],
        }
    )
    segments = pd.DataFrame(
        [
            {
                "id": i,
                "chain": CHAIN_ID,
                "name_en": en,
                "name_zh": zh,
                "position": pos.value,
                "order": order,
            }
            for i, en, zh, pos, order in SEGMENTS
        ]
    )
    seg_part = pd.DataFrame({"src": segments["id"], "dst": CHAIN_ID})
    prod_seg = pd.DataFrame({"src": products["id"], "dst": [p.segment for p in STEEL_PRODUCTS]})
    industries = pd.DataFrame(
        [
            {"id": f"ISIC4:{code}", "system": "ISIC4", "code": code, "name_en": name}
            for code, name in END_USE_INDUSTRIES.values()
        ]
    )
    ind_seg = pd.DataFrame({"src": industries["id"], "dst": _SEG_END})
    return SteelChainFrames(
        products, requires, chain, segments, seg_part, prod_seg, industries, ind_seg
    )
