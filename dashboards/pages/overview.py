"""产业链全景 / Chain overview: segments upstream -> downstream; click one to drill down."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from chain_brain.store import Scope
from dashboards import figures, ids
from dashboards.components import chain_options, guard, page, table
from dashboards.context import DashContext
from dashboards.i18n import Lang, t
from graph_schema.model import NodeLabel

__all__ = ["register", "chokepoint_badges"]


def chokepoint_badges(ctx: DashContext, principal: object, chain: str) -> dict[str, int]:
    """Number of flagged chokepoint products per segment (empty without an analysis)."""
    try:
        run = ctx.latest_analysis(principal, chain)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - badges are optional decoration
        return {}
    ck = run.tables.get("chokepoints") if run is not None else None
    if ck is None or ck.empty or "product_id" not in ck.columns:
        return {}
    if "is_chokepoint" in ck.columns:
        ck = ck[ck["is_chokepoint"].astype(bool)]
    members = ctx.chain_map(principal, chain).members  # type: ignore[arg-type]
    seg = members[members["label"] == "Product"].set_index("id")["segment"]
    return ck["product_id"].map(seg).value_counts().astype(int).to_dict()


def register(app: dash.Dash, ctx: DashContext) -> None:
    def layout(lang: Lang = "zh", chain: str | None = None, **_: object) -> Component:
        def build() -> Component:
            p = ctx.principal()
            cid = ctx.chain_for(p, chain)
            chains = chain_options(ctx.chains(p), lang)
            return html.Div(
                [
                    dcc.Store(id=ids.PAGE_LANG, data=lang),
                    dcc.Dropdown(id=ids.OV_CHAIN, options=chains, value=cid, clearable=False),
                    html.P(t("ov.hint", lang)),
                    dcc.Loading(dcc.Graph(id=ids.OV_GRAPH, config={"displayModeBar": False})),
                    html.Div(id=ids.OV_SEGMENTS),
                    html.H3(t("ov.click", lang), id=ids.OV_DRILL_TITLE),
                    html.Div(id=ids.OV_DRILL),
                ]
            )

        return page(t("page.overview", lang), guard(lang, build))

    dash.register_page("overview", path="/", name="overview", order=0, layout=layout)

    @app.callback(
        Output(ids.OV_GRAPH, "figure"),
        Output(ids.OV_SEGMENTS, "children"),
        Input(ids.OV_CHAIN, "value"),
        State(ids.PAGE_LANG, "data"),
    )
    def show_chain(chain: str, lang: Lang) -> tuple[object, object]:
        p = ctx.principal()
        cm = ctx.chain_map(p, chain)
        return figures.chain_overview_figure(
            cm.segments, cm.flows, lang, badges=chokepoint_badges(ctx, p, chain)
        ), table(
            "ov-segment-table", cm.segments.drop(columns=["name_en" if lang == "zh" else "name_zh"])
        )

    @app.callback(
        Output(ids.OV_DRILL_TITLE, "children"),
        Output(ids.OV_DRILL, "children"),
        Input(ids.OV_GRAPH, "clickData"),
        State(ids.OV_CHAIN, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def drill(click: dict[str, list[dict[str, str]]], chain: str, lang: Lang) -> tuple[str, object]:
        segment = click["points"][0]["customdata"]
        members, names = _members_and_names(ctx, chain)
        return t("ov.drill", lang, segment=segment), table(
            ids.OV_DRILL + "-table", figures.segment_members_table(members, names, segment)
        )


def _members_and_names(ctx: DashContext, chain: str) -> tuple[pd.DataFrame, pd.Series]:
    """The chain's segment members and a node id -> display name map."""
    p = ctx.principal()
    cid = ctx.chain_for(p, chain)
    data = ctx.snapshot(Scope(chain=cid))
    nodes = pd.concat(
        [data.node_table(lab)[["id", "name_en"]] for lab in (NodeLabel.FIRM, NodeLabel.PLANT)]
    )
    return ctx.chain_map(p, cid).members, nodes.set_index("id")["name_en"]
