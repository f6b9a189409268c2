"""UI strings in Chinese and English, in one table.

Pages call :func:`t` with a key and the page language (``"zh"`` or ``"en"``, taken from the
``lang`` query parameter); an unknown key raises, so a typo fails in the tests rather than
showing a blank label.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import parse_qs

from graph_schema.errors import ChainBrainError

__all__ = ["Lang", "LANGS", "DEFAULT_LANG", "STRINGS", "t", "lang_of", "UnknownStringError"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"


class UnknownStringError(ChainBrainError):
    """A UI string key that is not in :data:`STRINGS`."""


#: key -> (Chinese, English)
STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("产业链数字大脑", "Industry-chain digital brain"),
    "lang.zh": ("中文", "中文"),
    "lang.en": ("English", "English"),
    # navigation / page names
    "page.overview": ("产业链全景", "Chain overview"),
    "page.chokepoints": ("卡脖子与薄弱环节", "Chokepoints and weak links"),
    "page.regions": ("区域分布", "Regional distribution"),
    "page.chain_lead": ("链长视图", "Chain-lead view"),
    "page.scenarios": ("情景推演", "Scenario studio"),
    "page.twins": ("工厂孪生", "Plant twins"),
    "page.alerts": ("预警", "Alerts"),
    # common
    "chain": ("产业链", "Chain"),
    "firm": ("企业", "Firm"),
    "plant": ("工厂", "Plant"),
    "region": ("地区", "Region"),
    "country": ("国家", "Country"),
    "segment": ("环节", "Segment"),
    "firms": ("企业数", "Firms"),
    "plants": ("工厂数", "Plants"),
    "products": ("产品数", "Products"),
    "capacity": ("产能", "Capacity"),
    "share": ("份额", "Share"),
    "score": ("得分", "Score"),
    "tier": ("层级", "Tier"),
    "none": ("无", "none"),
    "all": ("全部", "all"),
    "denied": ("无权访问", "Access denied"),
    "error": ("出错", "Error"),
    "no_data": ("暂无数据", "No data"),
    "service_missing": (
        "该服务尚不可用（{service}）。",
        "This service is not available yet ({service}).",
    ),
    # overview
    "ov.hint": (
        "从上游到下游的各环节：圆点大小为企业数，数字为工厂数与产能；点击环节查看其企业与工厂。",
        "Segments from upstream to downstream: dot size is the number of firms, labels give "
        "plants and capacity; click a segment to see its firms and plants.",
    ),
    "ov.drill": ("环节成员：{segment}", "Members of segment: {segment}"),
    "ov.click": ("点击上图中的环节查看明细。", "Click a segment above to drill down."),
    "ov.chokepoints": ("卡脖子", "chokepoints"),
    "upstream": ("上游", "upstream"),
    "midstream": ("中游", "midstream"),
    "downstream": ("下游", "downstream"),
    # chokepoints
    "ck.table": ("结果表", "Result table"),
    "ck.min_score": ("最低得分", "Minimum score"),
    "ck.explain": ("发现说明", "Explanation of the finding"),
    "ck.select": ("选择表中一行查看说明。", "Select a row to see its explanation."),
    "ck.no_run": (
        "尚无分析结果：请先运行 chain-brain analyse。",
        "No analysis run yet: run `chain-brain analyse` first.",
    ),
    "ck.run": ("分析运行：{run}（{created}）", "Analysis run: {run} ({created})"),
    # regions
    "rg.map": ("工厂分布（点大小为产能）", "Plants (marker size is capacity)"),
    "rg.by_country": ("各国产能", "Capacity by country"),
    "rg.by_region": ("各地区产能（前20）", "Capacity by region (top 20)"),
    "rg.hhi": ("国家集中度 HHI：{hhi:.3f}", "Country concentration HHI: {hhi:.3f}"),
    # chain lead
    "cl.tiers": ("各层级供应商（按国家汇总）", "Suppliers per tier (by country)"),
    "cl.exposure": ("供应商国家敞口", "Supplier exposure by country"),
    "cl.at_risk": ("风险投入品", "At-risk inputs"),
    "cl.substitutes": ("替代供应商", "Substitute suppliers"),
    "cl.matching": (
        "供需对接：有富余产能的企业",
        "Supply-demand matching: firms with spare capacity",
    ),
    "cl.summary": (
        "{firm}：{suppliers} 家供应商，{tiers} 层，国家集中度 HHI {hhi:.3f}",
        "{firm}: {suppliers} suppliers over {tiers} tiers, country HHI {hhi:.3f}",
    ),
    # scenarios
    "sc.plants": ("中断工厂", "Disrupted plants"),
    "sc.firms": ("中断企业", "Disrupted firms"),
    "sc.regions": ("中断地区（国家）", "Disrupted regions (countries)"),
    "sc.ttr": ("恢复时间（周）", "Time to recover (weeks)"),
    "sc.sweep": ("逐节点计算 TTS/TTR（较慢）", "TTS vs TTR for every node (slower)"),
    "sc.headline": (
        "损失：{loss:,.1f}（占恢复期需求 {share:.1%}）；生存时间 TTS {tts} 周，恢复时间 TTR {ttr:g} 周{attention}",
        "Lost demand: {loss:,.1f} ({share:.1%} of demand over the recovery); time to survive "
        "{tts} weeks, time to recover {ttr:g} weeks{attention}",
    ),
    "sc.attention": ("，需关注：TTR 超过 TTS", "; needs attention: TTR exceeds TTS"),
    "sc.impact": ("受损的最终节点（损失需求）", "Finished nodes that lose demand"),
    "sc.disrupted": ("中断节点", "Disrupted nodes"),
    "sc.run": ("运行情景", "Run scenario"),
    "sc.result": ("情景结果", "Scenario result"),
    "sc.compare": ("情景对比", "Compare scenarios"),
    "sc.pick": ("请至少选择一个中断对象。", "Pick at least one plant, firm or region to disrupt."),
    "sc.tts_ttr": ("各节点 TTS 与 TTR", "TTS vs TTR per node"),
    # twins
    "tw.fleet": ("工厂状态与利用率", "Plant state and utilisation"),
    "tw.fan": ("产能预测（P10/P50/P90）", "Capacity forecast (P10/P50/P90)"),
    "tw.events": ("近期事件", "Recent events"),
    "tw.nameplate": ("额定产能", "Nameplate"),
    "tw.no_telemetry": (
        "无遥测数据：预测仅显示额定产能。",
        "No telemetry yet: the forecast shows nameplate capacity only.",
    ),
    "week": ("周", "Week"),
    # alerts
    "al.ttr": ("恢复时间超过生存时间的节点", "Nodes whose time-to-recover exceeds time-to-survive"),
    "al.capacity": ("孪生报告的产能下降", "Capacity drops reported by twins"),
    "al.new": ("两次分析之间新出现的卡脖子", "New chokepoints between the last two analyses"),
    "al.none": ("无预警。", "No alerts."),
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The UI string ``key`` in ``lang``, formatted with ``values``.

    Examples
    --------
    >>> t("page.alerts", "en")
    'Alerts'
    >>> t("ov.drill", "zh", segment="炼铁")
    '环节成员：炼铁'
    """
    try:
        zh, en = STRINGS[key]
    except KeyError:
        raise UnknownStringError(
            f"No UI string {key!r}; add it to dashboards.i18n.STRINGS."
        ) from None
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def lang_of(search: str | None) -> Lang:
    """The language of a URL query string (``?lang=en``); Chinese by default.

    Examples
    --------
    >>> lang_of("?chain=c&lang=en"), lang_of(None), lang_of("?lang=xx")
    ('en', 'zh', 'zh')
    """
    values = parse_qs((search or "").lstrip("?")).get("lang", [])
    return "en" if values and values[0] == "en" else DEFAULT_LANG
