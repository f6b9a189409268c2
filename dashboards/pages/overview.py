"""产业链全景 / Chain overview: segments upstream -> downstream; click one to drill down.

The first view of a chain is drawn into the page's layout on the server (figure and segment
summary in the one answer that delivers the page), so the browser makes no further round
trip before the first figure; the chain dropdown and the drill-down are callbacks.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component
from plotly.graph_objects import Figure

from chain_brain.services.security import Principal
from chain_brain.store import RunRecord
from dashboards import figures, ids
from dashboards.components import chain_options, failure, guard, page, plain_table, table
from dashboards.context import DashContext
from dashboards.i18n import Lang, t
from graph_schema.errors import ChainBrainError
from graph_schema.model import NodeLabel

__all__ = ["register", "chokepoint_badges", "chain_view"]


def chokepoint_badges(
    ctx: DashContext, principal: Principal, chain: str, run: RunRecord | None
) -> dict[str, int]:
    """Number of flagged chokepoint products per segment in the analysis ``run`` (empty
    without one)."""
    ck = run.tables.get("chokepoints") if run is not None else None
    if ck is None or ck.empty or "product_id" not in ck.columns:
        return {}
    if "is_chokepoint" in ck.columns:
        ck = ck[ck["is_chokepoint"].astype(bool)]
    members = ctx.chain_map(principal, chain).members
    seg = members[members["label"] == "Product"].set_index("id")["segment"]
    return ck["product_id"].map(seg).value_counts().astype(int).to_dict()


def chain_view(
    ctx: DashContext, principal: Principal, chain: str, lang: Lang
) -> tuple[Figure, Component]:
    """The chain's segment figure (chokepoint badges from the latest analysis the
    principal may read) and its segment summary table; cached."""
    cid = ctx.chain_for(principal, chain)
    try:
        run = ctx.latest_analysis(principal, cid)
    except ChainBrainError:  # badges are optional decoration
        run = None

    def build() -> tuple[Figure, Component]:
        cm = ctx.chain_map(principal, cid)
        badges = chokepoint_badges(ctx, principal, cid, run)
        fig = figures.chain_overview_figure(cm.segments, cm.flows, lang, badges=badges)
        summary = cm.segments.drop(columns=["name_en" if lang == "zh" else "name_zh"])
        return fig, plain_table("ov-segment-table", summary)

    return ctx.cached(("overview", cid, lang, run.id if run is not None else None), build)


def register(app: dash.Dash, ctx: DashContext) -> None:
    def layout(lang: Lang = "zh", chain: str | None = None, **_: object) -> Component:
        def build() -> Component:
            p = ctx.principal()
            cid = ctx.chain_for(p, chain)
            fig, summary = chain_view(ctx, p, cid, lang)
            return html.Div(
                [
                    dcc.Store(id=ids.PAGE_LANG, data=lang),
                    dcc.Dropdown(
                        id=ids.OV_CHAIN,
                        options=chain_options(ctx.chains(p), lang),
                        value=cid,
                        clearable=False,
                    ),
                    html.P(t("ov.hint", lang)),
                    dcc.Graph(id=ids.OV_GRAPH, figure=fig, config={"displayModeBar": False}),
                    html.Div(summary, id=ids.OV_SEGMENTS),
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
        prevent_initial_call=True,
    )
    def show_chain(chain: str, lang: Lang) -> tuple[object, object]:
        try:
            return chain_view(ctx, ctx.principal(), chain, lang)
        except ChainBrainError as exc:
            return Figure(), failure(exc, lang)

    @app.callback(
        Output(ids.OV_DRILL_TITLE, "children"),
        Output(ids.OV_DRILL, "children"),
        Input(ids.OV_GRAPH, "clickData"),
        State(ids.OV_CHAIN, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def drill(click: dict[str, list[dict[str, str]]], chain: str, lang: Lang) -> tuple[str, object]:
        segment = str(click["points"][0]["customdata"])
        return t("ov.drill", lang, segment=segment), guard(
            lang, lambda: _drill_table(ctx, chain, segment)
        )


def _drill_table(ctx: DashContext, chain: str, segment: str) -> Component:
    """The members of one segment, named from the graph as the principal may read it."""
    p = ctx.principal()
    cid = ctx.chain_for(p, chain)
    data = ctx.visible_data(p, cid)
    nodes = pd.concat(
        [data.node_table(lab)[["id", "name_en"]] for lab in (NodeLabel.FIRM, NodeLabel.PLANT)]
    )
    members = ctx.chain_map(p, cid).members
    names = nodes.set_index("id")["name_en"]
    return table(ids.OV_DRILL + "-table", figures.segment_members_table(members, names, segment))
