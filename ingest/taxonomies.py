"""Classification systems: HS 2022, ISIC Rev.4 and GB/T 4754-2017, and the HS -> ISIC concordance.

Sources
-------
* HS 2022 nomenclature (World Customs Organization; datahub ``harmonized-system``, ODC-PDDL):
  sections, chapters (2 digits), headings (4) and subheadings (6).
* ISIC Rev.4 structure (UN Statistics Division) and the HS6 -> ISIC4 concordance of the R
  package ``concordance`` (Kim & Liao, MIT; built from UNSD/WITS correlation tables).
* GB/T 4754-2017 国民经济行业分类 (National Bureau of Statistics of China): 门类 sections,
  大类 divisions, 中类 groups, 小类 classes (codes and Chinese names).

The schema lets only ``Industry`` nodes form ``PART_OF`` hierarchies and only ``Product``
nodes be ``CLASSIFIED_AS`` an industry, so HS sections, chapters and headings become
``Industry`` nodes (system ``HS2022``) linked by ``PART_OF``, and the 6-digit subheadings
become ``Product`` nodes (``hs:<code>``) ``CLASSIFIED_AS`` their heading and, through the
concordance, their ISIC4 classes.  Concordance rows naming an HS code that is not an HS 2022
subheading are rejected (``unknown_Product``): the concordance spans several HS vintages.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graph_schema.frames import LINE, GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType
from ingest.readers import read_csv, require_columns
from ingest.result import IngestResult, Progress, build_result

__all__ = [
    "HS_SOURCE",
    "GBT_SOURCE",
    "ISIC_SECTIONS",
    "isic4_graph",
    "hs2022_graph",
    "gbt4754_graph",
    "load_hs2022",
    "load_gbt4754",
]

HS_SOURCE = "HS 2022 nomenclature"
ISIC_SOURCE = "ISIC Rev.4 and HS-ISIC4 concordance"
GBT_SOURCE = "GB/T 4754-2017"
#: ISIC Rev.4 section letter -> first and last division (UNSD, ISIC Rev.4, 2008).
ISIC_SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 3),
    "B": (5, 9),
    "C": (10, 33),
    "D": (35, 35),
    "E": (36, 39),
    "F": (41, 43),
    "G": (45, 47),
    "H": (49, 53),
    "I": (55, 56),
    "J": (58, 63),
    "K": (64, 66),
    "L": (68, 68),
    "M": (69, 75),
    "N": (77, 82),
    "O": (84, 84),
    "P": (85, 85),
    "Q": (86, 88),
    "R": (90, 93),
    "S": (94, 96),
    "T": (97, 98),
    "U": (99, 99),
}
_LEVELS = {1: "section", 2: "division", 3: "group", 4: "class"}


def _isic_section(division: str) -> str | None:
    d = int(division)
    return next((s for s, (lo, hi) in ISIC_SECTIONS.items() if lo <= d <= hi), None)


def _isic_parent(code: str) -> str | None:
    if len(code) == 4:
        return code[:3]
    if len(code) == 3:
        return code[:2]
    if len(code) == 2 and code.isdigit():
        return _isic_section(code)
    return None


def isic4_graph(desc: pd.DataFrame) -> GraphData:
    """ISIC4 ``Industry`` nodes (``ISIC4:<code>``) and their ``PART_OF`` hierarchy."""
    code = desc["code"].astype(str).str.strip()
    level = code.map(lambda c: "section" if c.isalpha() else _LEVELS.get(len(c), "class"))
    nodes = pd.DataFrame(
        {
            "id": "ISIC4:" + code,
            "system": "ISIC4",
            "code": code,
            "name_en": desc["desc"],
            "level": level,
            "isic": code,
            LINE: desc[LINE],
        }
    )
    parent = code.map(_isic_parent)
    part_of = pd.DataFrame({"src": "ISIC4:" + code, "dst": "ISIC4:" + parent, LINE: desc[LINE]})
    part_of = part_of[parent.notna().to_numpy()]
    return GraphData(
        nodes=[NodeFrame(NodeLabel.INDUSTRY, nodes)],
        rels=[RelFrame(RelType.PART_OF, NodeLabel.INDUSTRY, NodeLabel.INDUSTRY, part_of)],
    )


def hs2022_graph(hs: pd.DataFrame, sections: pd.DataFrame | None = None) -> GraphData:
    """HS 2022 as ``Industry`` sections/chapters/headings and ``Product`` subheadings."""
    code = hs["hscode"].astype(str).str.strip()
    level = pd.to_numeric(hs["level"], errors="coerce")
    is_sub = (level == 6).to_numpy()
    groups = hs[~is_sub]
    g_code = code[~is_sub]
    industries = pd.DataFrame(
        {
            "id": "HS2022:" + g_code,
            "system": "HS2022",
            "code": g_code,
            "name_en": groups["description"],
            "level": level[~is_sub].map({2: "chapter", 4: "heading", 5: "total"}),
            LINE: groups[LINE],
        }
    )
    parent = hs["parent"].astype(str).str.strip()
    section = hs["section"].astype(str).str.strip()
    # chapters hang under their section, chapter 99 (section TOTAL) and sections under TOTAL
    chapter_up = ("HS2022:section-" + section).where(section != "TOTAL", "HS2022:TOTAL")
    dst = ("HS2022:" + parent).where(parent != "TOTAL", chapter_up).where(code != "TOTAL", None)
    part_of = pd.DataFrame({"src": "HS2022:" + g_code, "dst": dst[~is_sub], LINE: groups[LINE]})
    part_of = part_of.dropna(subset=["dst"])
    nodes = [NodeFrame(NodeLabel.INDUSTRY, industries)]
    rels = [RelFrame(RelType.PART_OF, NodeLabel.INDUSTRY, NodeLabel.INDUSTRY, part_of)]
    if sections is not None:
        sec_ids = "HS2022:section-" + sections["section"]
        rels.append(
            RelFrame(
                RelType.PART_OF,
                NodeLabel.INDUSTRY,
                NodeLabel.INDUSTRY,
                pd.DataFrame({"src": sec_ids, "dst": "HS2022:TOTAL", LINE: sections[LINE]}),
            )
        )
        nodes.append(
            NodeFrame(
                NodeLabel.INDUSTRY,
                pd.DataFrame(
                    {
                        "id": "HS2022:section-" + sections["section"],
                        "system": "HS2022",
                        "code": sections["section"],
                        "name_en": sections["name"],
                        "level": "section",
                        LINE: sections[LINE],
                    }
                ),
            )
        )
    subs = hs[is_sub]
    s_code = code[is_sub]
    products = pd.DataFrame(
        {"id": "hs:" + s_code, "name_en": subs["description"], "hs_code": s_code, LINE: subs[LINE]}
    )
    classified = pd.DataFrame(
        {"src": "hs:" + s_code, "dst": "HS2022:" + parent[is_sub], LINE: subs[LINE]}
    )
    return GraphData(
        nodes=[*nodes, NodeFrame(NodeLabel.PRODUCT, products)],
        rels=[
            *rels,
            RelFrame(RelType.CLASSIFIED_AS, NodeLabel.PRODUCT, NodeLabel.INDUSTRY, classified),
        ],
    )


def load_hs2022(
    hs_path: str | Path,
    concordance_path: str | Path | None = None,
    isic_desc_path: str | Path | None = None,
    *,
    sections_path: str | Path | None = None,
    progress: Progress | None = None,
    snapshot: str | None = None,
) -> IngestResult:
    """HS 2022 nodes and hierarchy; with the concordance files also ISIC4 and ``CLASSIFIED_AS``.

    ``sections_path`` defaults to ``sections.csv`` beside ``hs_path`` when that exists.
    """
    hs_path = Path(hs_path)
    hs = read_csv(hs_path)
    require_columns(hs, ["section", "hscode", "description", "parent", "level"], hs_path.name)
    sec_path = Path(sections_path) if sections_path else hs_path.with_name("sections.csv")
    sections = None
    if sec_path.exists():
        sections = read_csv(sec_path)
        require_columns(sections, ["section", "name"], sec_path.name)
    graph = hs2022_graph(hs, sections)
    rows = len(hs) + (len(sections) if sections is not None else 0)
    if progress is not None:
        progress.update(1)
    if concordance_path is None or isic_desc_path is None:
        return build_result(graph, source=HS_SOURCE, rows_read=rows, snapshot=snapshot)
    desc = read_csv(isic_desc_path)
    require_columns(desc, ["code", "desc"], Path(isic_desc_path).name)
    conc = read_csv(concordance_path)
    require_columns(conc, ["HS_6d", "ISIC4_4d"], Path(concordance_path).name)
    graph.extend(isic4_graph(desc))
    classified = pd.DataFrame(
        {
            "src": "hs:" + conc["HS_6d"],
            "dst": "ISIC4:" + conc["ISIC4_4d"],
            "source": ISIC_SOURCE,
            LINE: conc[LINE],
        }
    )
    graph.rels.append(
        RelFrame(RelType.CLASSIFIED_AS, NodeLabel.PRODUCT, NodeLabel.INDUSTRY, classified)
    )
    if progress is not None:
        progress.update(1)
    return build_result(
        graph, source=HS_SOURCE, rows_read=rows + len(desc) + len(conc), snapshot=snapshot
    )


def gbt4754_graph(codes: pd.DataFrame) -> GraphData:
    """GB/T 4754-2017 ``Industry`` nodes (``GBT4754:<code>``) and ``PART_OF`` hierarchy.

    Groups (中类) that appear only through their classes get a node without a name.
    """
    c = {
        k: codes[k].fillna("").astype(str).str.strip()
        for k in ("section", "division", "group", "class")
    }
    level = pd.to_numeric(codes["level"], errors="coerce")
    code = c["section"].where(
        level == 1, c["division"].where(level == 2, c["group"].where(level == 3, c["class"]))
    )
    parent = pd.Series(None, index=codes.index, dtype=object)
    parent[level == 2] = c["section"][level == 2]
    parent[level == 3] = c["division"][level == 3]
    parent[level == 4] = c["group"][level == 4]
    nodes = pd.DataFrame(
        {
            "id": "GBT4754:" + code,
            "system": GBT_SOURCE,
            "code": code,
            "name_zh": codes["name_zh"],
            "level": level.map(_LEVELS),
            LINE: codes[LINE],
        }
    )
    explicit = set(code)
    implied = sorted({g for g in c["group"][level == 4] if g and g not in explicit})
    implied_nodes = pd.DataFrame(
        {
            "id": ["GBT4754:" + g for g in implied],
            "system": GBT_SOURCE,
            "code": implied,
            "level": "group",
        }
    )
    implied_part = pd.DataFrame(
        {"src": ["GBT4754:" + g for g in implied], "dst": ["GBT4754:" + g[:2] for g in implied]}
    )
    part_of = pd.DataFrame(
        {"src": "GBT4754:" + code, "dst": "GBT4754:" + parent, LINE: codes[LINE]}
    )
    part_of = part_of[parent.notna().to_numpy()]
    return GraphData(
        nodes=[NodeFrame(NodeLabel.INDUSTRY, nodes), NodeFrame(NodeLabel.INDUSTRY, implied_nodes)],
        rels=[
            RelFrame(RelType.PART_OF, NodeLabel.INDUSTRY, NodeLabel.INDUSTRY, part_of),
            RelFrame(RelType.PART_OF, NodeLabel.INDUSTRY, NodeLabel.INDUSTRY, implied_part),
        ],
    )


def load_gbt4754(
    path: str | Path, *, progress: Progress | None = None, snapshot: str | None = None
) -> IngestResult:
    """Read and validate the GB/T 4754-2017 code list (``level, section, division, group, class, name_zh``)."""
    codes = read_csv(path)
    require_columns(
        codes, ["level", "section", "division", "group", "class", "name_zh"], Path(path).name
    )
    graph = gbt4754_graph(codes)
    if progress is not None:
        progress.update(len(codes))
    return build_result(graph, source=GBT_SOURCE, rows_read=len(codes), snapshot=snapshot)
