"""A seeded, tiered, national-scale synthetic industry-chain graph.

:func:`generate` returns canonical frames (:class:`graph_schema.frames.GraphData`) of a
made-up but realistically shaped economy: firms (mostly Chinese, a share of foreign
suppliers from Korea, Japan, the US, Germany, Taiwan, ...), their plants, products in four
tiers with a bill of materials, supply relationships, GB/T 4754 industries and industry
chains with their segments.  Everything is drawn with vectorised numpy from one seed, so the
same arguments always give the same graph; the full default size (150,000 firms, 1.2 million
supply edges) takes a few seconds.

Shape of the graph
------------------
* Products sit in tiers ``0`` raw material, ``1`` component, ``2`` subassembly, ``3``
  finished good.  ``(output)-[:REQUIRES]->(input)`` only points to a lower tier, so the
  bill of materials is a DAG, and every product of tier ``t >= 1`` has at least one input
  of tier ``t - 1``: a product's tier equals the length of the longest REQUIRES path below
  it.  Input popularity is Pareto distributed (steel and resin feed everything).
* A firm works in one tier and makes 1 + a few products of it (large firms make more);
  every product has at least one maker, and about ``chokepoint_share`` of the products of
  tiers 0-2 have only one or two makers (half of them abroad: 卡脖子).
* ``(supplier)-[:SUPPLIES {product}]->(customer)`` goes from a firm of tier ``t`` to a firm
  making a product that REQUIRES the shipped product, so SUPPLIES respects the tier order
  and the bill of materials.  Suppliers are drawn with probability proportional to a Pareto
  fitness of shape ``out_degree_shape``: in the fitness model (Caldarelli et al. 2002,
  "Scale-free networks from varying vertex intrinsic fitness", PRL 89, 258702) the degree
  tail follows the fitness tail, so the out-degree density is a power law with exponent
  about ``1 + out_degree_shape``.  Suppliers that run out of distinct customers saturate,
  which steepens the tail a little: the default shape 1.05 fits 2.2-2.4 at full size
  (discrete maximum likelihood of Clauset, Shalizi & Newman 2009, SIAM Review 51, 661,
  with x_min 5-20), the range of nation-wide production networks (Fujiwara & Aoyama 2010,
  "Large-scale structure of a nation-wide production network", EPJ B 77, 565, report a
  cumulative exponent near 1.3, a density exponent near 2.3).  ``share`` is the supplier's part of the customer's
  purchases of that product, so sole-source edges have share 1.
* Plants (1-3 per firm) lie around their region's centroid; PRODUCES edges hold log-normal
  annual capacities.  Chains have 3-7 segments (upstream / midstream / downstream);
  products and firms are IN_SEGMENT of the segment matching their tier.

Taxonomies are optional inputs: with ``gbt_path`` (the GB/T 4754-2017 code table,
``level,section,division,group,class,name_zh``) industries are real classes, manufacturing
(section C) first; with ``hs_path`` (the HS 2022 table ``section,hscode,description,parent,
level``) products take 6-digit HS codes and descriptions from chapters fitting their tier.
Without them codes and names are synthetic, so the generator runs from a fresh clone.

Region centroids are rounded coordinates of the provinces' and states' main industrial
areas; the weights that spread firms across them are rough choices putting most
manufacturing on the east coast, not statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame, with_provenance
from graph_schema.model import NodeLabel, Ownership, Position, RelType

__all__ = [
    "SOURCE",
    "TIER_NAMES",
    "SyntheticSizes",
    "FULL_SIZES",
    "generate",
    "scale",
]

SOURCE = "synthetic"
TIER_NAMES: tuple[str, ...] = ("raw material", "component", "subassembly", "finished")
_TIER_ZH = ("原材料", "零部件", "组件", "成品")
_TIER_UNIT = ("t", "pcs", "pcs", "pcs")
_LOADED_AT = "2025-01-01T00:00:00Z"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]


@dataclass(frozen=True)
class SyntheticSizes:
    """Sizes of a synthetic graph (the arguments of :func:`generate`)."""

    n_firms: int = 150_000
    n_edges: int = 1_200_000
    n_industries: int = 1_382
    n_chains: int = 1_219
    n_products: int | None = None
    n_plants: int | None = None
    n_regions: int | None = None

    def scaled(self, factor: float) -> SyntheticSizes:
        """These sizes multiplied by ``factor`` (catalogues keep a usable minimum)."""
        if not factor > 0:
            raise ValidationError(f"Scale factor must be positive. Got {factor=}.")
        return replace(
            self,
            n_firms=max(8, round(self.n_firms * factor)),
            n_edges=max(8, round(self.n_edges * factor)),
            n_industries=max(20, round(self.n_industries * factor)),
            n_chains=max(4, round(self.n_chains * factor)),
            n_products=None if self.n_products is None else max(8, round(self.n_products * factor)),
            n_plants=None if self.n_plants is None else max(8, round(self.n_plants * factor)),
        )


FULL_SIZES = SyntheticSizes()

# ------------------------------------------------------------------------- geography

# iso3, iso2, name_en, name_zh, share among foreign firms, suffixes of firm names
_COUNTRIES: tuple[tuple[str, str, str, str, float, tuple[str, ...]], ...] = (
    ("CHN", "CN", "China", "中国", 0.0, ()),
    ("KOR", "KR", "Republic of Korea", "韩国", 0.20, ("Co., Ltd.", "Corporation")),
    ("JPN", "JP", "Japan", "日本", 0.22, ("Corporation", "Co., Ltd.", "K.K.")),
    ("USA", "US", "United States of America", "美国", 0.19, ("Inc.", "Corp.", "LLC")),
    ("DEU", "DE", "Germany", "德国", 0.14, ("GmbH", "AG", "SE")),
    ("TWN", "TW", "Taiwan, Province of China", "中国台湾", 0.12, ("Co., Ltd.", "Corp.")),
    ("NLD", "NL", "Netherlands", "荷兰", 0.03, ("B.V.", "N.V.")),
    ("VNM", "VN", "Viet Nam", "越南", 0.04, ("JSC", "Co., Ltd.")),
    ("MYS", "MY", "Malaysia", "马来西亚", 0.03, ("Sdn. Bhd.", "Berhad")),
    ("FRA", "FR", "France", "法国", 0.03, ("SAS", "SA")),
)

# id (ISO 3166-2), country, name, name_en, lat, lon, weight within the country
_REGIONS: tuple[tuple[str, str, str, str, float, float, float], ...] = (
    ("CN-GD", "CHN", "广东省", "Guangdong", 23.1, 113.3, 12.0),
    ("CN-JS", "CHN", "江苏省", "Jiangsu", 32.1, 119.4, 12.0),
    ("CN-ZJ", "CHN", "浙江省", "Zhejiang", 29.9, 120.5, 9.0),
    ("CN-SD", "CHN", "山东省", "Shandong", 36.4, 118.4, 8.0),
    ("CN-HE", "CHN", "河北省", "Hebei", 38.3, 115.5, 4.0),
    ("CN-HA", "CHN", "河南省", "Henan", 34.3, 113.6, 4.5),
    ("CN-FJ", "CHN", "福建省", "Fujian", 25.6, 118.5, 4.5),
    ("CN-SH", "CHN", "上海市", "Shanghai", 31.2, 121.5, 4.0),
    ("CN-HB", "CHN", "湖北省", "Hubei", 30.6, 113.5, 3.5),
    ("CN-SC", "CHN", "四川省", "Sichuan", 30.6, 104.1, 3.5),
    ("CN-AH", "CHN", "安徽省", "Anhui", 31.8, 117.2, 3.5),
    ("CN-HN", "CHN", "湖南省", "Hunan", 28.2, 112.9, 3.0),
    ("CN-BJ", "CHN", "北京市", "Beijing", 39.9, 116.4, 2.0),
    ("CN-TJ", "CHN", "天津市", "Tianjin", 39.1, 117.2, 2.0),
    ("CN-LN", "CHN", "辽宁省", "Liaoning", 41.5, 123.2, 2.5),
    ("CN-CQ", "CHN", "重庆市", "Chongqing", 29.6, 106.5, 2.0),
    ("CN-JX", "CHN", "江西省", "Jiangxi", 28.4, 115.9, 2.0),
    ("CN-SN", "CHN", "陕西省", "Shaanxi", 34.3, 108.9, 2.0),
    ("CN-SX", "CHN", "山西省", "Shanxi", 37.9, 112.5, 1.5),
    ("CN-GX", "CHN", "广西壮族自治区", "Guangxi", 23.0, 108.4, 1.2),
    ("CN-NM", "CHN", "内蒙古自治区", "Inner Mongolia", 40.8, 111.7, 1.2),
    ("CN-YN", "CHN", "云南省", "Yunnan", 25.0, 102.7, 1.0),
    ("CN-JL", "CHN", "吉林省", "Jilin", 43.9, 125.3, 1.0),
    ("CN-HL", "CHN", "黑龙江省", "Heilongjiang", 45.8, 126.6, 0.8),
    ("CN-GZ", "CHN", "贵州省", "Guizhou", 26.6, 106.7, 0.8),
    ("CN-XJ", "CHN", "新疆维吾尔自治区", "Xinjiang", 43.8, 87.6, 0.6),
    ("CN-GS", "CHN", "甘肃省", "Gansu", 36.1, 103.8, 0.5),
    ("CN-NX", "CHN", "宁夏回族自治区", "Ningxia", 38.5, 106.3, 0.4),
    ("CN-HI", "CHN", "海南省", "Hainan", 20.0, 110.3, 0.3),
    ("CN-QH", "CHN", "青海省", "Qinghai", 36.6, 101.8, 0.2),
    ("CN-XZ", "CHN", "西藏自治区", "Tibet", 29.7, 91.1, 0.05),
    ("KR-41", "KOR", "Gyeonggi-do", "Gyeonggi", 37.3, 127.0, 3.0),
    ("KR-11", "KOR", "Seoul", "Seoul", 37.6, 127.0, 1.0),
    ("KR-48", "KOR", "Gyeongsangnam-do", "South Gyeongsang", 35.2, 128.7, 2.0),
    ("JP-23", "JPN", "Aichi", "Aichi", 35.2, 136.9, 3.0),
    ("JP-13", "JPN", "Tokyo", "Tokyo", 35.7, 139.7, 2.0),
    ("JP-27", "JPN", "Osaka", "Osaka", 34.7, 135.5, 2.0),
    ("US-CA", "USA", "California", "California", 37.4, -121.9, 3.0),
    ("US-TX", "USA", "Texas", "Texas", 30.3, -97.7, 2.0),
    ("US-MI", "USA", "Michigan", "Michigan", 42.3, -83.0, 1.5),
    ("DE-BY", "DEU", "Bayern", "Bavaria", 48.1, 11.6, 2.0),
    ("DE-BW", "DEU", "Baden-Württemberg", "Baden-Württemberg", 48.8, 9.2, 2.0),
    ("DE-NW", "DEU", "Nordrhein-Westfalen", "North Rhine-Westphalia", 51.4, 7.0, 1.5),
    ("TW-HSZ", "TWN", "新竹市", "Hsinchu", 24.8, 121.0, 3.0),
    ("TW-TPE", "TWN", "臺北市", "Taipei", 25.0, 121.6, 1.5),
    ("TW-TXG", "TWN", "臺中市", "Taichung", 24.1, 120.7, 1.5),
    ("NL-NB", "NLD", "Noord-Brabant", "North Brabant", 51.4, 5.5, 1.0),
    ("VN-SG", "VNM", "Thành phố Hồ Chí Minh", "Ho Chi Minh City", 10.8, 106.7, 1.0),
    ("VN-HN", "VNM", "Hà Nội", "Hanoi", 21.0, 105.8, 1.0),
    ("MY-07", "MYS", "Pulau Pinang", "Penang", 5.4, 100.3, 1.0),
    ("FR-IDF", "FRA", "Île-de-France", "Île-de-France", 48.9, 2.4, 1.0),
    ("FR-ARA", "FRA", "Auvergne-Rhône-Alpes", "Auvergne-Rhône-Alpes", 45.8, 4.8, 1.0),
)

# ------------------------------------------------------------------------- firm names

_BRAND_ZH = tuple(
    "华盛鑫源恒达泰宏博瑞凯腾新天金中科创远力合信嘉德安通正兴飞海宇晶成锦永和佳光明智辉隆昌丰荣祥立东"
)
_BRAND_PY = [
    "Hua",
    "Sheng",
    "Xin",
    "Yuan",
    "Heng",
    "Da",
    "Tai",
    "Hong",
    "Bo",
    "Rui",
    "Kai",
    "Teng",
    "Xin",
    "Tian",
    "Jin",
    "Zhong",
    "Ke",
    "Chuang",
    "Yuan",
    "Li",
    "He",
    "Xin",
    "Jia",
    "De",
    "An",
    "Tong",
    "Zheng",
    "Xing",
    "Fei",
    "Hai",
    "Yu",
    "Jing",
    "Cheng",
    "Jin",
    "Yong",
    "He",
    "Jia",
    "Guang",
    "Ming",
    "Zhi",
    "Hui",
    "Long",
    "Chang",
    "Feng",
    "Rong",
    "Xiang",
    "Li",
    "Dong",
]
# per tier: (Chinese industry word, English industry word)
_TRADE: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("矿业", "Mining"),
        ("化工", "Chemical"),
        ("钢铁", "Steel"),
        ("材料", "Materials"),
        ("有色金属", "Nonferrous Metals"),
        ("能源", "Energy"),
    ),
    (
        ("精密", "Precision"),
        ("电子", "Electronics"),
        ("塑胶", "Plastics"),
        ("五金", "Hardware"),
        ("橡胶", "Rubber"),
        ("新材料", "Advanced Materials"),
    ),
    (
        ("机电", "Electromechanical"),
        ("电气", "Electric"),
        ("自动化", "Automation"),
        ("动力", "Power"),
        ("光电", "Optoelectronics"),
        ("装备", "Equipment"),
    ),
    (
        ("汽车", "Automotive"),
        ("电器", "Appliances"),
        ("科技", "Technology"),
        ("智能", "Smart"),
        ("家居", "Home"),
        ("医疗器械", "Medical Devices"),
    ),
)
_SUFFIX_ZH = ("有限公司", "股份有限公司", "集团有限公司")
_SUFFIX_EN = ("Co., Ltd.", "Co., Ltd.", "Group Co., Ltd.")
_BRAND_LATIN = [
    "Han",
    "Daesung",
    "Hyun",
    "Sam",
    "Kumho",
    "Nippon",
    "Tokai",
    "Shin",
    "Kyoto",
    "Apex",
    "Summit",
    "Pioneer",
    "Vertex",
    "Keystone",
    "Rhein",
    "Berg",
    "Stahl",
    "Werk",
    "Nord",
    "Formosa",
    "Everwin",
    "Unitek",
    "Delta",
    "Orion",
    "Nova",
    "Helios",
    "Atlas",
    "Vega",
    "Lumen",
    "Sigma",
    "Nexa",
]

# HS 2022 chapters whose 6-digit codes name the products of each tier
_HS_CHAPTERS: tuple[tuple[int, ...], ...] = (
    (*range(1, 30), 31, 41, 44, 47, 50, 51, 52, 53, 71, 72, 74, 75, 76, 78, 79, 80, 81),
    (*range(30, 41), 48, 54, 55, 56, 58, 59, 60, 68, 69, 70, 73, 82, 83),
    (84, 85, 90),
    (*range(61, 68), *range(86, 90), *range(91, 97), 42, 43, 49, 57),
)

ProgressFn = Callable[[str], None]


# ------------------------------------------------------------------------- helpers


def _ids(prefix: str, n: int, width: int | None = None) -> StrArray:
    width = width or max(4, len(str(max(n - 1, 0))))
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(str), width))


def _weighted(rng: np.random.Generator, weights: FloatArray, size: int) -> IntArray:
    """``size`` indices drawn with probability proportional to ``weights``."""
    cum = np.cumsum(weights)
    out = np.searchsorted(cum, rng.random(size) * cum[-1], side="right")
    return np.minimum(out, len(weights) - 1).astype(np.int64)


def _grouped_uniform(
    rng: np.random.Generator, ptr: IntArray, group: IntArray
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """A uniform position inside CSR group ``group`` (and whether the group is non-empty)."""
    lo, hi = ptr[group], ptr[group + 1]
    ok = hi > lo
    pos = lo + np.floor(rng.random(len(group)) * (hi - lo)).astype(np.int64)
    return np.where(ok, np.minimum(pos, np.maximum(hi - 1, 0)), 0), ok


def _grouped_weighted(
    rng: np.random.Generator, ptr: IntArray, cum0: FloatArray, group: IntArray
) -> IntArray:
    """A position inside CSR group ``group`` drawn proportionally to the group's weights.

    ``cum0`` is the cumulative weight with a leading zero (``cum0[i]`` = weight before ``i``).
    """
    lo, hi = ptr[group], ptr[group + 1]
    target = cum0[lo] + rng.random(len(group)) * (cum0[hi] - cum0[lo])
    pos = np.searchsorted(cum0, target, side="right") - 1
    return np.clip(pos, lo, hi - 1).astype(np.int64)


def _csr(keys: IntArray, n_groups: int) -> tuple[IntArray, IntArray]:
    """Stable order of ``keys`` and the CSR pointer of the groups 0..n_groups-1."""
    order = np.argsort(keys, kind="stable").astype(np.int64)
    ptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_groups), out=ptr[1:])
    return order, ptr


def _unique_pairs(a: IntArray, b: IntArray, nb: int) -> tuple[IntArray, IntArray]:
    """Distinct (a, b) pairs in order of first occurrence."""
    key = a * nb + b
    _, first = np.unique(key, return_index=True)
    first.sort()
    return a[first], b[first]


def _read_gbt(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"GB/T 4754 code table {str(p)!r} does not exist.")
    table = pd.read_csv(p, dtype=str, keep_default_na=False)
    needed = {"level", "section", "class", "name_zh"}
    if not needed <= set(table.columns):
        raise ValidationError(
            f"GB/T 4754 code table {str(p)!r} lacks column(s) {sorted(needed - set(table.columns))}."
        )
    classes = table[table["level"] == "4"]
    manufacturing = classes["section"] == "C"
    return pd.concat([classes[manufacturing], classes[~manufacturing]], ignore_index=True)


def _read_hs(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"HS 2022 table {str(p)!r} does not exist.")
    table = pd.read_csv(p, dtype=str, keep_default_na=False)
    needed = {"hscode", "description", "level"}
    if not needed <= set(table.columns):
        raise ValidationError(
            f"HS 2022 table {str(p)!r} lacks column(s) {sorted(needed - set(table.columns))}."
        )
    return table[table["level"] == "6"].reset_index(drop=True)


def _arrow_text(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _take(labels: npt.NDArray[Any], idx: IntArray) -> pd.api.extensions.ExtensionArray:
    """``labels[idx]`` as a pandas text array, gathered by Arrow (no Python strings)."""
    return _arrow_text(pa.array(labels).take(pa.array(np.asarray(idx, dtype=np.int64))))


def _frame(data: dict[str, object], snapshot: str) -> pd.DataFrame:
    """A table of ``data`` with constant provenance columns (source, snapshot, load time)."""
    frame = pd.DataFrame(data)
    zeros = pa.array(np.zeros(len(frame), dtype=np.int64))
    for col, value in (("source", SOURCE), ("snapshot", snapshot), ("loaded_at", _LOADED_AT)):
        frame[col] = _arrow_text(pa.array([value]).take(zeros))
    frame["confidence"] = 1.0
    return with_provenance(frame, source=SOURCE, snapshot=snapshot, loaded_at=_LOADED_AT)


# ------------------------------------------------------------------------- generator


def generate(
    n_firms: int = 150_000,
    n_edges: int = 1_200_000,
    n_industries: int = 1_382,
    n_chains: int = 1_219,
    n_products: int | None = None,
    n_plants: int | None = None,
    n_regions: int | None = None,
    seed: int = 0,
    *,
    gbt_path: str | Path | None = None,
    hs_path: str | Path | None = None,
    foreign_share: float = 0.12,
    chokepoint_share: float = 0.08,
    out_degree_shape: float = 1.05,
    snapshot: str | None = None,
    progress: bool | ProgressFn | None = None,
) -> GraphData:
    """Generate a synthetic tiered industry-chain graph.

    Parameters
    ----------
    n_firms, n_edges : number of Firm nodes and of SUPPLIES relationships (exact).
    n_industries, n_chains : number of Industry and Chain nodes (exact).
    n_products : Product nodes; default ``max(40, n_firms // 6)``.
    n_plants : Plant nodes, at least ``n_firms`` (each firm runs 1-3); default ``1.7 n_firms``.
    n_regions : Region nodes, at least one per country (10); the first 52 are provinces of
        China and foreign states, more are synthetic cities PART_OF a province.
    seed : the seed of every random draw; equal arguments give equal frames.
    gbt_path, hs_path : optional GB/T 4754-2017 and HS 2022 tables (see module docs).
    foreign_share : share of firms registered abroad.
    chokepoint_share : share of tier 0-2 products with only one or two makers.
    out_degree_shape : Pareto shape ``a`` of supplier fitness; out-degree exponent ``1 + a``.
    snapshot : provenance snapshot name; default ``synthetic-seed<seed>``.
    progress : True for a tqdm bar, or a callable receiving the name of each step.

    Returns
    -------
    GraphData
        Node frames of every label and relationship frames of every type, with provenance
        (source ``"synthetic"``), passing :func:`graph_schema.frames.validate_graph`.

    Raises
    ------
    ValidationError
        If a size is out of range or ``n_edges`` distinct supply edges cannot be drawn.

    Examples
    --------
    >>> g = generate(n_firms=300, n_edges=1_500, n_industries=30, n_chains=6, seed=1)
    >>> g.counts()["Firm"], g.counts()["SUPPLIES"]
    (300, 1500)
    """
    n_products = max(40, n_firms // 6) if n_products is None else n_products
    n_plants = round(1.7 * n_firms) if n_plants is None else n_plants
    n_base_regions = len(_REGIONS)
    n_regions = n_base_regions if n_regions is None else n_regions
    for name, value, low in (
        ("n_firms", n_firms, 4),
        ("n_edges", n_edges, 1),
        ("n_industries", n_industries, 1),
        ("n_chains", n_chains, 1),
        ("n_products", n_products, 8),
        ("n_plants", n_plants, n_firms),
        ("n_regions", n_regions, len(_COUNTRIES)),
    ):
        if value < low:
            raise ValidationError(f"{name} must be at least {low}. Got {name}={value}.")
    for name, share in (("foreign_share", foreign_share), ("chokepoint_share", chokepoint_share)):
        if not 0.0 <= share <= 1.0:
            raise ValidationError(f"{name} must lie in [0, 1]. Got {name}={share}.")
    if not out_degree_shape > 0:
        raise ValidationError(f"out_degree_shape must be positive. Got {out_degree_shape=}.")
    snapshot = snapshot or f"{SOURCE}-seed{seed}"

    steps = ("catalogues", "products", "firms", "plants", "supplies", "frames")
    bar = tqdm(total=len(steps), desc="synthetic graph", disable=progress is not True)

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)
        if callable(progress):
            progress(name)

    rng = np.random.default_rng(seed)
    gbt = _read_gbt(gbt_path) if gbt_path is not None else None
    hs = _read_hs(hs_path) if hs_path is not None else None

    # ---------------------------------------------------------------- catalogues
    n_cty = len(_COUNTRIES)
    cty_iso = np.array([c[0] for c in _COUNTRIES])
    # regions: one per country first, then the rest in table order, then cities
    first_of = [next(i for i, r in enumerate(_REGIONS) if r[1] == c[0]) for c in _COUNTRIES]
    order = first_of + [i for i in range(n_base_regions) if i not in first_of]
    base = [_REGIONS[i] for i in order[: min(n_regions, n_base_regions)]]
    reg_id = [r[0] for r in base]
    reg_cty = [r[1] for r in base]
    reg_name = [r[2] for r in base]
    reg_en = [r[3] for r in base]
    reg_lat = [r[4] for r in base]
    reg_lon = [r[5] for r in base]
    reg_w = [r[6] for r in base]
    reg_level = ["province" if r[1] == "CHN" else "state" for r in base]
    reg_parent: list[str | None] = [None] * len(base)
    n_cities = n_regions - len(base)
    if n_cities > 0:
        provinces = [i for i, c in enumerate(reg_cty) if c == "CHN"]
        pw = np.array([reg_w[i] for i in provinces])
        host = np.array(provinces)[_weighted(rng, pw, n_cities)]
        jitter = rng.normal(0.0, 0.8, size=(n_cities, 2))
        for k in range(n_cities):  # bounded by n_regions, a catalogue
            h = int(host[k])
            reg_id.append(f"{reg_id[h]}-C{k:04d}")
            reg_cty.append("CHN")
            reg_name.append(f"{reg_name[h]}第{k + 1}市")
            reg_en.append(f"{reg_en[h]} city {k + 1}")
            reg_lat.append(round(reg_lat[h] + jitter[k, 0], 4))
            reg_lon.append(round(reg_lon[h] + jitter[k, 1], 4))
            reg_w.append(reg_w[h] / 4)
            reg_level.append("city")
            reg_parent.append(reg_id[h])
    reg_id_a = np.array(reg_id)
    reg_cty_a = np.array(reg_cty)
    reg_lat_a, reg_lon_a = np.array(reg_lat), np.array(reg_lon)
    reg_w_a = np.array(reg_w, dtype=float)
    reg_short = np.array(
        [
            n.removesuffix("省").removesuffix("市")[:2] if c == "CHN" else n
            for n, c in zip(reg_name, reg_cty, strict=True)
        ]
    )

    # industries
    ind_ids: list[str] = []
    ind_zh: list[str | None] = []
    ind_en: list[str | None] = []
    ind_sys: list[str] = []
    ind_code: list[str] = []
    if gbt is not None:
        take = gbt.iloc[: min(n_industries, len(gbt))]
        ind_code += take["class"].tolist()
        ind_ids += ("GBT4754:" + take["class"]).tolist()
        ind_zh += take["name_zh"].tolist()
        ind_en += [None] * len(take)
        ind_sys += ["GB/T 4754-2017"] * len(take)
    n_syn = n_industries - len(ind_ids)
    ind_code += [f"S{i:04d}" for i in range(n_syn)]
    ind_ids += [f"SYN:S{i:04d}" for i in range(n_syn)]
    ind_zh += [f"合成行业{i:04d}" for i in range(n_syn)]
    ind_en += [f"Synthetic industry {i:04d}" for i in range(n_syn)]
    ind_sys += ["synthetic"] * n_syn
    ind_zh_a = np.array([z or "" for z in ind_zh])

    # chains and segments
    chain_ids = _ids("CH", n_chains)
    home = np.arange(n_chains) % n_industries
    rnd = np.arange(n_chains) // n_industries
    chain_zh = np.char.add(
        np.char.add(ind_zh_a[home], "产业链"),
        np.where(rnd > 0, np.char.add("-", rnd.astype(str)), ""),
    )
    chain_en = np.array([f"Chain {chain_ids[i]} ({ind_code[home[i]]})" for i in range(n_chains)])
    n_seg = rng.integers(3, 8, size=n_chains)
    seg_ptr = np.zeros(n_chains + 1, dtype=np.int64)
    np.cumsum(n_seg, out=seg_ptr[1:])
    seg_chain = np.repeat(np.arange(n_chains), n_seg)
    seg_order = np.arange(len(seg_chain)) - seg_ptr[seg_chain]
    seg_pos = np.floor(seg_order * 3 / n_seg[seg_chain]).astype(np.int64)
    seg_ids = np.char.add(np.char.add(chain_ids[seg_chain], "-S"), seg_order.astype(str))
    seg_ind = rng.integers(0, n_industries, size=len(seg_chain))
    last = seg_ptr[1:] - 1
    seg_ind[last] = home
    pos_names = np.array([p.value for p in Position])
    pos_zh = np.array(["上游", "中游", "下游"])
    step("catalogues")

    # ---------------------------------------------------------------- products + BOM
    tier_share = np.array([0.15, 0.35, 0.30, 0.20])
    p_counts = np.maximum(1, np.floor(tier_share * n_products).astype(np.int64))
    p_counts[1] += n_products - p_counts.sum()
    p_tier = np.repeat(np.arange(4), p_counts)
    t_ptr = np.concatenate([[0], np.cumsum(p_counts)]).astype(np.int64)
    chain_w = np.arange(1, n_chains + 1, dtype=np.float64) ** -0.6
    p_chain = rng.permutation(n_chains)[_weighted(rng, chain_w, n_products)]
    p_seg = seg_ptr[p_chain] + np.rint(p_tier * (n_seg[p_chain] - 1) / 3).astype(np.int64)
    p_ind = seg_ind[p_seg]
    input_pop = rng.pareto(1.5, n_products) + 1.0
    in_cum0 = np.concatenate([[0.0], np.cumsum(input_pop)])
    tc_order, tc_ptr = _csr(p_tier * n_chains + p_chain, 4 * n_chains)  # products by tier, chain

    def pick_in_tier(
        tiers: IntArray, chains: IntArray, same_chain: npt.NDArray[np.bool_]
    ) -> IntArray:
        """A product of tier ``tiers``: same chain where asked and possible, else popular."""
        popular = _grouped_weighted(rng, t_ptr, in_cum0, tiers)
        pos, ok = _grouped_uniform(rng, tc_ptr, tiers * n_chains + chains)
        return np.where(same_chain & ok, tc_order[pos], popular)

    out_p = np.flatnonzero(p_tier >= 1)
    k_in = np.minimum(1 + rng.poisson(2.0, len(out_p)), 8)
    bom_out = np.repeat(out_p, k_in)
    first = np.concatenate([[0], np.cumsum(k_in)[:-1]])
    is_first = np.zeros(len(bom_out), dtype=bool)
    is_first[first] = True
    ot = p_tier[bom_out]
    lower = np.floor(rng.random(len(bom_out)) * ot).astype(np.int64)
    in_tier = np.where(is_first | (rng.random(len(bom_out)) < 0.7), ot - 1, lower)
    bom_in = pick_in_tier(in_tier, p_chain[bom_out], rng.random(len(bom_out)) < 0.6)
    # every non-finished product feeds at least one product of the next tier
    feed = np.flatnonzero(p_tier <= 2)
    parent = pick_in_tier(p_tier[feed] + 1, p_chain[feed], rng.random(len(feed)) < 0.8)
    bom_out, bom_in = _unique_pairs(
        np.concatenate([bom_out, parent]), np.concatenate([bom_in, feed]), n_products
    )
    qty = np.round(rng.lognormal(0.0, 1.0, len(bom_out)), 3) + 0.001

    # substitutes: pairs within one tier, mostly within one chain
    n_sub = max(1, round(0.05 * n_products))
    sa = rng.integers(0, n_products, n_sub)
    sb = pick_in_tier(p_tier[sa], p_chain[sa], rng.random(n_sub) < 0.8)
    keep = sa != sb
    sa, sb = np.minimum(sa, sb)[keep], np.maximum(sa, sb)[keep]
    sa, sb = _unique_pairs(sa, sb, n_products)
    step("products")

    # ---------------------------------------------------------------- firms
    f_tier = rng.choice(4, size=n_firms, p=[0.18, 0.34, 0.30, 0.18])
    f_tier[:4] = np.arange(4)
    fp_abroad = np.array([0.6, 1.4, 1.4, 0.6]) * foreign_share
    abroad = rng.random(n_firms) < fp_abroad[f_tier]
    f_cty = np.zeros(n_firms, dtype=np.int64)
    cty_w = np.array([c[4] for c in _COUNTRIES])
    f_cty[abroad] = _weighted(rng, cty_w, int(abroad.sum()))
    # region within the country, by weight
    rc_key = np.searchsorted(cty_iso, reg_cty_a, sorter=np.argsort(cty_iso))
    rc_key = np.argsort(cty_iso)[rc_key]  # index of each region's country in _COUNTRIES
    rc_order, rc_ptr = _csr(rc_key, n_cty)
    rc_cum0 = np.concatenate([[0.0], np.cumsum(reg_w_a[rc_order])])
    f_reg = rc_order[_grouped_weighted(rng, rc_ptr, rc_cum0, f_cty)]
    f_fit = rng.pareto(out_degree_shape, n_firms) + 1.0
    f_fit_in = rng.pareto(1.6, n_firms) + 1.0

    # names
    n_brand = len(_BRAND_ZH)
    b1, b2 = rng.integers(0, n_brand, n_firms), rng.integers(0, n_brand, n_firms)
    trade = rng.integers(0, 6, n_firms)
    trade_zh = np.array([[w[0] for w in row] for row in _TRADE])[f_tier, trade]
    trade_en = np.array([[w[1] for w in row] for row in _TRADE])[f_tier, trade]
    sfx = rng.choice(3, size=n_firms, p=[0.75, 0.2, 0.05])
    bz, bp = np.array(_BRAND_ZH), np.array(_BRAND_PY)
    zh = np.char.add(np.char.add(reg_short[f_reg], np.char.add(bz[b1], bz[b2])), trade_zh)
    zh = np.char.add(zh, np.array(_SUFFIX_ZH)[sfx])
    en = np.char.add(np.char.add(bp[b1], np.char.lower(bp[b2])), " ")
    en = np.char.add(np.char.add(en, trade_en), " ")
    en = np.char.add(en, np.array(_SUFFIX_EN)[sfx])
    latin = np.array(_BRAND_LATIN)[rng.integers(0, len(_BRAND_LATIN), n_firms)]
    max_sfx = max(len(c[5]) for c in _COUNTRIES)
    sfx_tab = np.array(
        [[*c[5], *([""] * (max_sfx - len(c[5])))] or [""] * max_sfx for c in _COUNTRIES]
    )
    n_sfx = np.array([max(1, len(c[5])) for c in _COUNTRIES])
    fsfx = sfx_tab[f_cty, np.floor(rng.random(n_firms) * n_sfx[f_cty]).astype(np.int64)]
    foreign_en = np.char.add(np.char.add(np.char.add(latin, " "), trade_en), np.char.add(" ", fsfx))
    f_name = np.where(abroad, foreign_en, zh)
    f_name_en = np.where(abroad, foreign_en, en)
    own_dom = rng.choice(
        [
            Ownership.PRIVATE.value,
            Ownership.SOE.value,
            Ownership.MIXED.value,
            Ownership.FOREIGN.value,
            Ownership.COLLECTIVE.value,
        ],
        size=n_firms,
        p=[0.68, 0.10, 0.09, 0.10, 0.03],
    ).astype(str)
    home_own = np.where(rng.random(n_firms) < 0.9, Ownership.PRIVATE.value, Ownership.SOE.value)
    f_own = np.where(abroad, home_own, own_dom)
    firm_ids = _ids("F", n_firms, max(6, len(str(n_firms - 1))))

    # what each firm makes: products of its tier
    k_make = np.minimum(rng.poisson(0.6, n_firms) + np.floor(np.sqrt(f_fit)).astype(np.int64), 200)
    mk_firm = np.repeat(np.arange(n_firms), k_make)
    supply_pop = rng.pareto(1.2, n_products) + 1.0
    choke = (p_tier <= 2) & (rng.random(n_products) < chokepoint_share)
    supply_pop[choke] = 0.0
    sp_cum0 = np.concatenate([[0.0], np.cumsum(supply_pop)])
    mk_prod = _grouped_weighted(rng, t_ptr, sp_cum0, f_tier[mk_firm])
    drop = choke[mk_prod]  # a tier made only of chokepoints leaves no other choice
    mk_firm, mk_prod = mk_firm[~drop], mk_prod[~drop]
    # one maker for every product (foreign half the time for chokepoints), a second for some
    ft_order, ft_ptr = _csr(f_tier * 2 + abroad.astype(np.int64), 8)
    want_abroad = choke & (rng.random(n_products) < 0.5)
    g = p_tier * 2 + want_abroad.astype(np.int64)
    pos, ok = _grouped_uniform(rng, ft_ptr, g)
    pos_dom, _ = _grouped_uniform(rng, ft_ptr, p_tier * 2)
    pos_any, _ = _grouped_uniform(rng, ft_ptr, p_tier * 2 + 1)
    maker = np.where(
        ok,
        ft_order[pos],
        ft_order[np.where(ft_ptr[p_tier * 2 + 1] > ft_ptr[p_tier * 2], pos_dom, pos_any)],
    )
    second = np.flatnonzero(choke & (rng.random(n_products) < 0.4))
    pos2, _ = _grouped_uniform(rng, ft_ptr, p_tier[second] * 2)
    mk_firm = np.concatenate([maker, ft_order[pos2], mk_firm])
    mk_prod = np.concatenate([np.arange(n_products), second, mk_prod])
    # a product's maker always works in its tier
    ok_tier = f_tier[mk_firm] == p_tier[mk_prod]
    mk_firm, mk_prod = _unique_pairs(mk_firm[ok_tier], mk_prod[ok_tier], n_products)
    step("firms")

    # ---------------------------------------------------------------- plants
    extra = n_plants - n_firms
    reps = np.arange(n_firms)
    extra_firms = np.tile(rng.permutation(n_firms), -(-extra // n_firms) if extra else 0)[:extra]
    pl_firm = np.sort(np.concatenate([reps, extra_firms]), kind="stable")
    pl_rank = np.arange(n_plants) - np.searchsorted(pl_firm, pl_firm, side="left")
    pl_ptr = np.zeros(n_firms + 1, dtype=np.int64)
    np.cumsum(np.bincount(pl_firm, minlength=n_firms), out=pl_ptr[1:])
    moved = (rng.random(n_plants) < 0.2) & (pl_rank > 0)
    pl_reg = f_reg[pl_firm].copy()
    pl_reg[moved] = rc_order[_grouped_weighted(rng, rc_ptr, rc_cum0, f_cty[pl_firm[moved]])]
    lat = np.clip(reg_lat_a[pl_reg] + rng.normal(0, 0.6, n_plants), -89.9, 89.9).round(5)
    lon = np.clip(reg_lon_a[pl_reg] + rng.normal(0, 0.6, n_plants), -179.9, 179.9).round(5)
    rank_s = (pl_rank + 1).astype(str)
    pl_name = np.char.add(
        np.char.add(
            np.char.add(f_name[pl_firm], np.where(abroad[pl_firm], " Plant ", "第")), rank_s
        ),
        np.where(abroad[pl_firm], "", "工厂"),
    )
    pl_name_en = np.char.add(np.char.add(f_name_en[pl_firm], " Plant "), rank_s)
    plant_ids = _ids("PL", n_plants, max(7, len(str(n_plants - 1))))
    pl_status = np.where(rng.random(n_plants) < 0.95, "operating", "idle")
    pl_start = rng.integers(1985, 2025, n_plants)
    # PRODUCES: each (firm, product) at one of the firm's plants
    pos, _ = _grouped_uniform(rng, pl_ptr, mk_firm)
    pr_plant = pos
    cap_mu = np.array([6.0, 8.0, 7.0, 6.5])[p_tier[mk_prod]] + 0.3 * np.log(f_fit[mk_firm])
    capacity = np.round(rng.lognormal(cap_mu, 1.0), 1) + 0.1
    step("plants")

    # ---------------------------------------------------------------- supplies
    fp_order, fp_ptr = _csr(mk_firm, n_firms)
    fp_prod = mk_prod[fp_order]
    pp_order, pp_ptr = _csr(mk_prod, n_products)
    pp_firm = mk_firm[pp_order]
    pp_cum0 = np.concatenate([[0.0], np.cumsum(f_fit_in[pp_firm])])
    par_order, par_ptr = _csr(bom_in, n_products)
    par_prod = bom_out[par_order]
    sup_w = np.where(f_tier <= 2, f_fit, 0.0)
    sup_w = np.where(np.diff(fp_ptr) > 0, sup_w, 0.0)
    if not sup_w.any():
        raise ValidationError(
            f"No firm below the finished tier can supply; {n_firms=} is too small."
        )
    # Draw in rounds; a draw repeating an edge is dropped, and a supplier whose draws keep
    # repeating (it has run out of distinct customers) loses weight in proportion.
    keys = np.empty(0, dtype=np.int64)
    nf, npd = np.int64(n_firms), np.int64(n_products)
    rate = 0.5
    for _round in range(60):
        need = n_edges - len(keys)
        if need <= 0 or not sup_w.any():
            break
        m = int(need / max(rate, 0.05) * 1.05) + 16
        s = _weighted(rng, sup_w, m)
        p = fp_prod[_grouped_uniform(rng, fp_ptr, s)[0]]
        q = par_prod[_grouped_uniform(rng, par_ptr, p)[0]]
        c = pp_firm[_grouped_weighted(rng, pp_ptr, pp_cum0, q)]
        allk = np.concatenate([keys, (s * nf + c) * npd + p])
        _, first_idx = np.unique(allk, return_index=True)
        first_idx.sort()
        fresh = first_idx[first_idx >= len(keys)] - len(keys)
        keys = allk[first_idx]
        rate = len(fresh) / m
        drawn = np.bincount(s, minlength=n_firms)
        kept = np.bincount(s[fresh], minlength=n_firms)
        sup_w = np.where(drawn > 0, sup_w * kept / np.maximum(drawn, 1), sup_w)
    if len(keys) < n_edges:
        raise ValidationError(
            f"Could draw only {len(keys)} distinct supply edges of {n_edges=}; "
            f"raise n_firms ({n_firms}) or n_products ({n_products})."
        )
    keys = keys[:n_edges]
    e_prod = keys % npd
    e_src = (keys // npd) // nf
    e_dst = (keys // npd) % nf
    e_vol = np.round(rng.lognormal(3.0, 1.2, n_edges) * np.sqrt(f_fit[e_src]), 2) + 0.01
    grp = e_dst * npd + e_prod
    _, inv = np.unique(grp, return_inverse=True)
    e_share = np.round(e_vol / np.bincount(inv, weights=e_vol)[inv], 4)
    lead = rng.gamma(2.0, 5.0, n_edges) + np.where(
        abroad[e_src] != abroad[e_dst], rng.gamma(3.0, 8.0, n_edges), 0.0
    )
    months = np.array([f"{y}-{m:02d}-01" for y in range(2015, 2031) for m in range(1, 13)])
    vf = rng.integers(0, 120, n_edges)
    ended = rng.random(n_edges) < 0.05
    vt = np.minimum(vf + 1 + rng.integers(0, 60, n_edges), len(months) - 1)
    valid_to = np.full(n_edges, None, dtype=object)
    valid_to[ended] = months[vt[ended]]
    step("supplies")

    # ---------------------------------------------------------------- frames
    prod_ids = _ids("P", n_products, max(6, len(str(n_products - 1))))
    prod_en, prod_hs = _product_names(rng, hs, p_tier, prod_ids)
    prod_zh = np.char.add(
        np.char.add(ind_zh_a[p_ind], "·"), np.char.add(np.array(_TIER_ZH)[p_tier], prod_ids)
    )
    units = np.array(_TIER_UNIT)
    mk_firm_primary = fp_prod[fp_ptr[:-1].clip(max=len(fp_prod) - 1)]
    has_prod = np.diff(fp_ptr) > 0
    f_seg = p_seg[mk_firm_primary]
    f_ind = p_ind[mk_firm_primary]
    owned = np.flatnonzero((rng.random(n_firms) < 0.03) & (f_fit < np.quantile(f_fit, 0.95)))
    bigs = np.flatnonzero(f_fit >= np.quantile(f_fit, 0.95))
    owner = bigs[rng.integers(0, len(bigs), len(owned))] if len(bigs) else owned[:0]
    if len(bigs) == 0:
        owned = owned[:0]
    f_parent = np.full(n_firms, None, dtype=object)
    f_parent[owned] = firm_ids[owner]

    def nf_(label: NodeLabel, data: dict[str, object]) -> NodeFrame:
        return NodeFrame(label, _frame(data, snapshot))

    def rf_(t: RelType, a: NodeLabel, b: NodeLabel, data: dict[str, object]) -> RelFrame:
        return RelFrame(t, a, b, _frame(data, snapshot))

    L, R = NodeLabel, RelType
    nodes = [
        nf_(
            L.COUNTRY,
            {
                "id": cty_iso,
                "name_en": [c[2] for c in _COUNTRIES],
                "name_zh": [c[3] for c in _COUNTRIES],
                "iso2": [c[1] for c in _COUNTRIES],
            },
        ),
        nf_(
            L.REGION,
            {
                "id": reg_id_a,
                "name": reg_name,
                "name_en": reg_en,
                "country": reg_cty_a,
                "level": reg_level,
            },
        ),
        nf_(
            L.INDUSTRY,
            {
                "id": ind_ids,
                "name_zh": ind_zh,
                "name_en": ind_en,
                "system": ind_sys,
                "code": ind_code,
                "level": "class",
            },
        ),
        nf_(L.CHAIN, {"id": chain_ids, "name_zh": chain_zh, "name_en": chain_en}),
        nf_(
            L.CHAIN_SEGMENT,
            {
                "id": seg_ids,
                "chain": chain_ids[seg_chain],
                "name_zh": np.char.add(chain_zh[seg_chain], pos_zh[seg_pos]),
                "name_en": np.char.add(
                    np.char.add(chain_en[seg_chain], " / "),
                    np.char.add(pos_names[seg_pos], np.char.add(" ", seg_order.astype(str))),
                ),
                "position": pos_names[seg_pos],
                "order": seg_order,
            },
        ),
        nf_(
            L.PRODUCT,
            {
                "id": prod_ids,
                "name_zh": prod_zh,
                "name_en": prod_en,
                "hs_code": prod_hs,
                "unit": units[p_tier],
            },
        ),
        nf_(
            L.FIRM,
            {
                "id": firm_ids,
                "name": f_name,
                "name_en": f_name_en,
                "country": _take(cty_iso, f_cty),
                "region": _take(reg_id_a, f_reg),
                "ownership": f_own,
                "parent": f_parent,
            },
        ),
        nf_(
            L.PLANT,
            {
                "id": plant_ids,
                "name": pl_name,
                "name_en": pl_name_en,
                "operator": _take(firm_ids, pl_firm),
                "lat": lat,
                "lon": lon,
                "region": _take(reg_id_a, pl_reg),
                "country": _take(cty_iso, f_cty[pl_firm]),
                "status": pl_status,
                "start_year": pl_start,
            },
        ),
    ]
    reg_country_ok = np.array([p is None for p in reg_parent])
    city = np.flatnonzero(~reg_country_ok)
    rels = [
        rf_(
            R.PART_OF,
            L.REGION,
            L.COUNTRY,
            {"src": reg_id_a[reg_country_ok], "dst": reg_cty_a[reg_country_ok]},
        ),
        rf_(
            R.PART_OF,
            L.REGION,
            L.REGION,
            {"src": reg_id_a[city], "dst": np.array([reg_parent[i] for i in city], dtype=str)},
        ),
        rf_(R.PART_OF, L.CHAIN_SEGMENT, L.CHAIN, {"src": seg_ids, "dst": chain_ids[seg_chain]}),
        rf_(R.IN_SEGMENT, L.PRODUCT, L.CHAIN_SEGMENT, {"src": prod_ids, "dst": seg_ids[p_seg]}),
        rf_(
            R.IN_SEGMENT,
            L.FIRM,
            L.CHAIN_SEGMENT,
            {"src": firm_ids[has_prod], "dst": seg_ids[f_seg[has_prod]]},
        ),
        rf_(
            R.CLASSIFIED_AS,
            L.PRODUCT,
            L.INDUSTRY,
            {"src": prod_ids, "dst": np.array(ind_ids)[p_ind]},
        ),
        rf_(
            R.CLASSIFIED_AS,
            L.FIRM,
            L.INDUSTRY,
            {"src": firm_ids[has_prod], "dst": np.array(ind_ids)[f_ind[has_prod]]},
        ),
        rf_(
            R.REQUIRES,
            L.PRODUCT,
            L.PRODUCT,
            {"src": prod_ids[bom_out], "dst": prod_ids[bom_in], "quantity": qty},
        ),
        rf_(
            R.SUBSTITUTES,
            L.PRODUCT,
            L.PRODUCT,
            {
                "src": prod_ids[sa],
                "dst": prod_ids[sb],
                "similarity": np.round(rng.uniform(0.5, 0.95, len(sa)), 3),
            },
        ),
        rf_(R.LOCATED_IN, L.FIRM, L.REGION, {"src": firm_ids, "dst": _take(reg_id_a, f_reg)}),
        rf_(R.LOCATED_IN, L.PLANT, L.REGION, {"src": plant_ids, "dst": _take(reg_id_a, pl_reg)}),
        rf_(
            R.OPERATES,
            L.FIRM,
            L.PLANT,
            {"src": _take(firm_ids, pl_firm), "dst": plant_ids, "share": 1.0},
        ),
        rf_(
            R.OWNS,
            L.FIRM,
            L.FIRM,
            {
                "src": firm_ids[owner],
                "dst": firm_ids[owned],
                "share": np.round(rng.uniform(0.51, 1.0, len(owned)), 3),
            },
        ),
        rf_(
            R.PRODUCES,
            L.PLANT,
            L.PRODUCT,
            {
                "src": _take(plant_ids, pr_plant),
                "dst": _take(prod_ids, mk_prod),
                "capacity": capacity,
                "unit": _take(units, p_tier[mk_prod]),
                "period": "year",
            },
        ),
        rf_(
            R.SUPPLIES,
            L.FIRM,
            L.FIRM,
            {
                "src": _take(firm_ids, e_src),
                "dst": _take(firm_ids, e_dst),
                "product": _take(prod_ids, e_prod),
                "volume": e_vol,
                "unit": _take(units, p_tier[e_prod]),
                "share": e_share,
                "lead_time_days": np.round(lead, 1),
                "valid_from": _take(months, vf),
                "valid_to": valid_to,
            },
        ),
    ]
    step("frames")
    bar.close()
    return GraphData(nodes=nodes, rels=rels)


def _product_names(
    rng: np.random.Generator, hs: pd.DataFrame | None, p_tier: IntArray, prod_ids: StrArray
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """English names and HS codes of the products (synthetic names without an HS table)."""
    n = len(p_tier)
    if hs is None:
        names = np.char.add(np.array([t.capitalize() + " " for t in TIER_NAMES])[p_tier], prod_ids)
        return names.astype(object), np.full(n, None, dtype=object)
    chapter = hs["hscode"].str[:2].astype(int).to_numpy()
    names = np.empty(n, dtype=object)
    codes = np.empty(n, dtype=object)
    for t, chapters in enumerate(_HS_CHAPTERS):  # four tiers
        pool = np.flatnonzero(np.isin(chapter, chapters))
        idx = np.flatnonzero(p_tier == t)
        if len(pool) == 0 or len(idx) == 0:
            continue
        pick = pool[rng.integers(0, len(pool), len(idx))]
        codes[idx] = hs["hscode"].to_numpy()[pick]
        names[idx] = hs["description"].to_numpy()[pick]
    missing = pd.isna(names)
    names[missing] = [
        f"{TIER_NAMES[t].capitalize()} {i}"
        for t, i in zip(p_tier[missing], prod_ids[missing], strict=True)
    ]
    dup = pd.Series(names).groupby(pd.Series(names)).cumcount().to_numpy()
    names = np.where(dup > 0, names + " #" + (dup + 1).astype(str).astype(object), names)
    return names, codes


def scale(
    factor: float,
    seed: int = 0,
    *,
    progress: bool | ProgressFn | None = None,
    **kwargs: object,
) -> GraphData:
    """:func:`generate` at ``factor`` times the full national size.

    ``scale(0.01)`` gives 1,500 firms and 12,000 supply edges in well under a second, the
    size tests use.  Keyword arguments (``gbt_path``, ``foreign_share``, ...) pass through.

    Examples
    --------
    >>> scale(0.002).counts()["Firm"]
    300
    """
    s = FULL_SIZES.scaled(factor)
    return generate(
        s.n_firms,
        s.n_edges,
        s.n_industries,
        s.n_chains,
        s.n_products,
        s.n_plants,
        s.n_regions,
        seed,
        progress=progress,
        **kwargs,  # type: ignore[arg-type]
    )
