"""Pure figure builders: tables in, plotly figures (or display tables) out.

No Dash, no store, no request: each function takes the DataFrames a service returned and the
page language, so the unit tests call them directly with hand-made frames.  Big graphs are
never drawn node by node: every builder draws aggregates (segments, tiers, countries).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboards.i18n import Lang, t

__all__ = [
    "chain_overview_figure",
    "segment_members_table",
    "ranked_table",
    "plants_map_figure",
    "concentration_figure",
    "tiers_figure",
    "fan_chart",
    "tts_ttr_figure",
    "scenario_compare_figure",
    "records",
    "empty_figure",
    "explanation_items",
    "components_figure",
    "explanation_parts",
]

_LAYOUT = {"margin": {"l": 40, "r": 20, "t": 40, "b": 40}, "template": "plotly_white"}


def empty_figure(message: str) -> go.Figure:
    """A blank figure carrying ``message`` in its middle."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, **_LAYOUT)
    return fig


def _fmt(x: object) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    v = float(x)  # type: ignore[arg-type]
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    if abs(v) >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def chain_overview_figure(
    segments: pd.DataFrame,
    flows: pd.DataFrame,
    lang: Lang = "zh",
    *,
    badges: dict[str, int] | None = None,
) -> go.Figure:
    """Segments upstream -> downstream as dots sized by firm count, flows as arrows.

    Parameters
    ----------
    segments : DataFrame
        ``id``, ``name_zh``, ``name_en``, ``order``, ``firms``, ``plants``, ``capacity``,
        ``capacity_unit`` (the ``segments`` table of ``chain_map``).
    flows : DataFrame
        ``from_segment``, ``to_segment``, ``edges``.
    badges : dict, optional
        Segment id -> number of chokepoints; a red badge is drawn above such segments.

    Each point's ``customdata`` is the segment id, so a click names the segment.
    """
    if segments.empty:
        return empty_figure(t("no_data", lang))
    seg = segments.sort_values(["order", "id"]).reset_index(drop=True)
    x = np.arange(len(seg), dtype=float)
    pos = dict(zip(seg["id"], x, strict=True))
    names = seg["name_en" if lang == "en" else "name_zh"].fillna(seg["id"]).astype(str)
    firms = pd.to_numeric(seg["firms"], errors="coerce").fillna(0).to_numpy()
    size = 24 + 56 * np.sqrt(firms / max(firms.max(), 1.0))
    unit = seg.get("capacity_unit", pd.Series("", index=seg.index)).fillna("")
    text = [
        f"<b>{n}</b><br>{t('firms', lang)} {int(f)} · {t('plants', lang)} {int(p)}"
        f"<br>{t('capacity', lang)} {_fmt(c)} {u}"
        for n, f, p, c, u in zip(names, firms, seg["plants"], seg["capacity"], unit, strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=np.zeros_like(x),
            mode="markers+text",
            marker={"size": size, "color": "#2a6f97", "line": {"width": 2, "color": "white"}},
            text=text,
            textposition="bottom center",
            customdata=seg["id"].astype(str).to_numpy(),
            hovertemplate="%{text}<extra></extra>",
            name=t("segment", lang),
        )
    )
    if len(flows):
        max_edges = max(float(pd.to_numeric(flows["edges"], errors="coerce").max()), 1.0)
        for f in flows.itertuples(index=False):
            a, b = pos.get(f.from_segment), pos.get(f.to_segment)
            if a is None or b is None:
                continue
            curve = 0.25 * (b - a - 1) if b > a else -0.3
            fig.add_annotation(
                x=b - 0.12,
                y=curve,
                ax=a + 0.12,
                ay=curve,
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                showarrow=True,
                arrowhead=2,
                arrowwidth=1 + 4 * float(f.edges) / max_edges,
                arrowcolor="rgba(100,100,100,0.5)",
                text="",
            )
    for sid, n in (badges or {}).items():
        if sid in pos and n > 0:
            fig.add_annotation(
                x=pos[sid],
                y=0.45,
                text=f"⚠ {n} {t('ov.chokepoints', lang)}",
                showarrow=False,
                bgcolor="#c0392b",
                font={"color": "white"},
            )
    fig.update_layout(
        xaxis={
            "visible": True,
            "tickvals": x,
            "ticktext": [
                t(str(p), lang) if p in ("upstream", "midstream", "downstream") else ""
                for p in seg["position"]
            ],
            "range": [-0.6, len(seg) - 0.4],
            "showgrid": False,
            "zeroline": False,
        },
        yaxis={"visible": False, "range": [-1.2, 0.8]},
        showlegend=False,
        height=420,
        **_LAYOUT,
    )
    return fig


def segment_members_table(
    members: pd.DataFrame, names: pd.Series, segment: str, *, limit: int = 500
) -> pd.DataFrame:
    """Firms and plants of one segment with their names: label, id, name, via.

    ``names`` maps node id -> display name.  At most ``limit`` rows (firms first).
    """
    m = members[(members["segment"] == segment) & members["label"].isin(["Firm", "Plant"])]
    out = m[["label", "id", "via"]].copy()
    out.insert(2, "name", out["id"].map(names).fillna(out["id"]))
    return out.sort_values(["label", "name"]).head(limit).reset_index(drop=True)


_LEAD_COLUMNS = (
    "finding_id",
    "name",
    "product",
    "segment",
    "node",
    "score",
    "is_chokepoint",
    "is_weak_link",
    "reason",
)


def ranked_table(
    table: pd.DataFrame,
    *,
    countries: list[str] | None = None,
    min_score: float | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """Rank a finding table by ``score`` (when present), filter it, keep display columns.

    Rows are kept when any column named ``country``/``countries``/``region`` mentions one of
    ``countries``; ``min_score`` drops rows below it.  Columns holding lists or dicts are
    turned into text so a DataTable can show them.
    """
    out = table.copy()
    if countries:
        cols = [c for c in out.columns if c in ("country", "countries", "region", "top_country")]
        if cols:
            pattern = "|".join(map(str, countries))
            hit = np.zeros(len(out), dtype=bool)
            for c in cols:
                hit |= out[c].astype(str).str.contains(pattern, regex=True, na=False).to_numpy()
            out = out[hit]
    if "score" in out.columns:
        score = pd.to_numeric(out["score"], errors="coerce")
        if min_score is not None:
            out = out[(score >= min_score).to_numpy()]
            score = score[out.index]
        out = out.iloc[np.argsort(-score.fillna(-np.inf).to_numpy(), kind="stable")]
    first = [c for c in _LEAD_COLUMNS if c in out.columns]
    out = out[first + [c for c in out.columns if c not in first]]
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(
                lambda v: v if isinstance(v, str | int | float | bool) or v is None else str(v)
            )
    return out.head(limit).reset_index(drop=True)


def records(
    frame: pd.DataFrame, *, digits: int = 4
) -> tuple[list[dict[str, object]], list[dict[str, str]]]:
    """DataTable ``data`` and ``columns`` for ``frame`` (floats rounded, NaN as empty)."""
    f = frame.copy()
    for c in f.columns:
        if pd.api.types.is_float_dtype(f[c]):
            f[c] = f[c].round(digits)
        elif not pd.api.types.is_numeric_dtype(f[c]) and not pd.api.types.is_bool_dtype(f[c]):
            f[c] = (
                f[c]
                .astype(object)
                .where(f[c].notna(), None)
                .map(lambda v: v if v is None else str(v))
            )
    f = f.astype(object).where(f.notna(), None)
    return f.to_dict("records"), [{"name": str(c), "id": str(c)} for c in f.columns]


def plants_map_figure(plants: pd.DataFrame, lang: Lang = "zh") -> go.Figure:
    """Plants on a world map (``scattergeo``: no tile server needed), sized by capacity.

    ``plants``: id, name, lat, lon, country, capacity (rows without coordinates are left out).
    """
    p = plants.dropna(subset=["lat", "lon"])
    if p.empty:
        return empty_figure(t("no_data", lang))
    cap = pd.to_numeric(p["capacity"], errors="coerce").fillna(0.0).to_numpy()
    size = 3 + 22 * np.sqrt(cap / max(cap.max(), 1.0))
    fig = go.Figure(
        go.Scattergeo(
            lat=p["lat"],
            lon=p["lon"],
            mode="markers",
            marker={"size": size, "color": "#c0392b", "opacity": 0.6, "line": {"width": 0}},
            text=[
                f"{n} ({c})<br>{t('capacity', lang)} {_fmt(v)}"
                for n, c, v in zip(p["name"], p["country"], cap, strict=True)
            ],
            hoverinfo="text",
        )
    )
    fig.update_geos(
        showcountries=True, showland=True, landcolor="#f2f2f2", projection_type="natural earth"
    )
    fig.update_layout(title=t("rg.map", lang), height=460, **_LAYOUT)
    return fig


def concentration_figure(
    table: pd.DataFrame, title: str, *, top: int = 20, value: str = "capacity", key: str = "key"
) -> go.Figure:
    """Horizontal bars of the ``top`` keys of a ``concentration`` table, share in the label."""
    if table.empty:
        return empty_figure(title)
    d = table.head(top).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=d[value],
            y=d[key],
            orientation="h",
            text=[f"{s:.1%}" for s in d["share"]],
            textposition="auto",
            marker_color="#2a6f97",
        )
    )
    fig.update_layout(title=title, height=max(260, 22 * len(d) + 80), **_LAYOUT)
    return fig


def tiers_figure(tiers: pd.DataFrame, lang: Lang = "zh", *, top_countries: int = 6) -> go.Figure:
    """Suppliers per tier stacked by country (the ``top_countries`` largest, rest 'other')."""
    if tiers.empty:
        return empty_figure(t("no_data", lang))
    totals = tiers.groupby("country")["suppliers"].sum().sort_values(ascending=False)
    keep = set(totals.index[:top_countries])
    d = tiers.assign(country=tiers["country"].where(tiers["country"].isin(keep), "other"))
    d = d.groupby(["tier", "country"], as_index=False)["suppliers"].sum()
    fig = go.Figure()
    for c in [*totals.index[:top_countries], "other"]:
        part = d[d["country"] == c]
        if len(part):
            fig.add_trace(
                go.Bar(
                    x=[f"{t('tier', lang)} {i}" for i in part["tier"]], y=part["suppliers"], name=c
                )
            )
    fig.update_layout(barmode="stack", title=t("cl.tiers", lang), height=360, **_LAYOUT)
    return fig


def fan_chart(forecast: pd.DataFrame, lang: Lang = "zh", *, title: str | None = None) -> go.Figure:
    """Capacity forecast: P10-P90 band, P50 line and nameplate, per week.

    ``forecast``: week, p10, p50, p90, nameplate.  Quantiles that are all NaN (no
    telemetry) leave only the nameplate line.
    """
    if forecast.empty:
        return empty_figure(t("no_data", lang))
    w = forecast["week"]
    fig = go.Figure()
    if forecast[["p10", "p50", "p90"]].notna().any().any():
        fig.add_trace(
            go.Scatter(x=w, y=forecast["p90"], mode="lines", line={"width": 0}, name="P90")
        )
        fig.add_trace(
            go.Scatter(
                x=w,
                y=forecast["p10"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(42,111,151,0.25)",
                name="P10",
            )
        )
        fig.add_trace(
            go.Scatter(x=w, y=forecast["p50"], mode="lines", line={"color": "#2a6f97"}, name="P50")
        )
    fig.add_trace(
        go.Scatter(
            x=w,
            y=forecast["nameplate"],
            mode="lines",
            line={"dash": "dash", "color": "#888"},
            name=t("tw.nameplate", lang),
        )
    )
    fig.update_layout(
        title=title or t("tw.fan", lang),
        xaxis_title=t("week", lang),
        yaxis_rangemode="tozero",
        height=360,
        **_LAYOUT,
    )
    return fig


def tts_ttr_figure(nodes: pd.DataFrame, lang: Lang = "zh", *, top: int = 40) -> go.Figure:
    """Time-to-survive vs time-to-recover per node (the ``top`` largest losses), nodes that
    need attention (TTR > TTS) in red; a bar pair per node."""
    if nodes.empty or not {"ttr", "tts"} <= set(nodes.columns):
        return empty_figure(t("no_data", lang))
    d = nodes.copy()
    if "loss" in d.columns:
        d = d.sort_values("loss", ascending=False)
    d = d.head(top)
    ttr = pd.to_numeric(d["ttr"], errors="coerce")
    tts = pd.to_numeric(d["tts"], errors="coerce")
    label = d["node"].astype(str) if "node" in d.columns else d.index.astype(str)
    red = (ttr > tts).to_numpy()
    fig = go.Figure()
    fig.add_trace(go.Bar(x=label, y=tts, name="TTS", marker_color="#2a6f97"))
    fig.add_trace(
        go.Bar(x=label, y=ttr, name="TTR", marker_color=np.where(red, "#c0392b", "#95a5a6"))
    )
    fig.update_layout(barmode="group", title=t("sc.tts_ttr", lang), height=380, **_LAYOUT)
    return fig


def scenario_compare_figure(
    a: pd.DataFrame, b: pd.DataFrame, names: tuple[str, str], *, top: int = 30
) -> go.Figure:
    """Loss per node in two scenario runs side by side (nodes with the largest loss in
    either run)."""
    la = (
        a.set_index("node")["loss"]
        if {"node", "loss"} <= set(a.columns)
        else pd.Series(dtype=float)
    )
    lb = (
        b.set_index("node")["loss"]
        if {"node", "loss"} <= set(b.columns)
        else pd.Series(dtype=float)
    )
    both = pd.concat({"a": la, "b": lb}, axis=1).fillna(0.0)
    if both.empty:
        return empty_figure("-")
    both = both.loc[both.max(axis=1).sort_values(ascending=False).index[:top]]
    fig = go.Figure(
        [
            go.Bar(x=both.index.astype(str), y=both["a"], name=names[0]),
            go.Bar(x=both.index.astype(str), y=both["b"], name=names[1]),
        ]
    )
    fig.update_layout(barmode="group", height=360, **_LAYOUT)
    return fig


def explanation_items(explanation: dict[str, object], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a finding's explanation into (key, text) pairs, nested keys joined by '.'.

    Examples
    --------
    >>> explanation_items({"score": 0.5, "components": {"hhi": 1.0}})
    [('score', '0.5'), ('components.hhi', '1.0')]
    """
    out: list[tuple[str, str]] = []
    for k, v in explanation.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += explanation_items(v, f"{key}.")
        elif isinstance(v, pd.DataFrame):
            out.append((key, v.head(20).to_string(index=False)))
        else:
            out.append((key, str(v)))
    return out


_PARTS = (("c_", "components"), ("w_", "weights"), ("thr_", "thresholds"), ("flag_", "flags"))


def explanation_parts(explanation: dict[str, object]) -> dict[str, object]:
    """Split the ``values`` of a finding's explanation by column prefix into
    ``components`` (``c_*``), ``weights`` (``w_*``), ``thresholds`` (``thr_*``), ``flags``
    (``flag_*``) and ``data`` (the rest); other keys are kept as they are.

    Examples
    --------
    >>> explanation_parts({"reason": "r", "values": {"c_hhi": 0.4, "thr_hhi": 0.25, "n": 3}})
    {'reason': 'r', 'components': {'hhi': 0.4}, 'thresholds': {'hhi': 0.25}, 'data': {'n': 3}}
    """
    out = {k: v for k, v in explanation.items() if k != "values"}
    values = explanation.get("values")
    if not isinstance(values, dict):
        return out
    rest = dict(values)
    for prefix, part in _PARTS:
        picked = {k.removeprefix(prefix): rest.pop(k) for k in list(rest) if k.startswith(prefix)}
        if picked:
            out[part] = picked
    out["data"] = rest
    return out


def components_figure(explanation: dict[str, object], title: str) -> go.Figure | None:
    """Bars of the numeric score components of an explanation (its ``components`` mapping),
    or None when it has none."""
    comps = explanation.get("components")
    if not isinstance(comps, dict):
        return None
    num = {
        str(k): float(v)
        for k, v in comps.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    if not num:
        return None
    fig = go.Figure(
        go.Bar(x=list(num.values()), y=list(num.keys()), orientation="h", marker_color="#e76f51")
    )
    fig.update_layout(title=title, height=max(220, 30 * len(num) + 80), **_LAYOUT)
    return fig
