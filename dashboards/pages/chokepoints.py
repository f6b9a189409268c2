"""卡脖子与薄弱环节 / Chokepoints and weak links: ranked tables of the latest analysis run,
filters, and the explanation of one finding."""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from chain_brain.analytics.results import TABLES
from chain_brain.store import RunRecord
from dashboards import figures, ids
from dashboards.components import chain_options, guard, message, page, table
from dashboards.context import DashContext
from dashboards.i18n import Lang, t
from graph_schema.errors import NotFoundError
from graph_schema.model import NodeLabel

__all__ = ["register"]

ROWS = "ck-table-rows"


def _run(ctx: DashContext, chain: str) -> RunRecord:
    """The latest analysis of ``chain`` the caller may read; NoRunError without one."""
    run = ctx.latest_analysis(ctx.principal(), chain)
    if run is None:
        raise NoRunError(f"No analysis run of chain {chain!r} is visible here.")
    return run


class NoRunError(NotFoundError):
    """No analysis run of the chain that the caller may read."""


def _ranked(
    ctx: DashContext,
    chain: str,
    name: str,
    countries: list[str],
    min_score: float | None,
    lang: Lang,
) -> Component:
    try:
        run = _run(ctx, chain)
    except NoRunError:
        return message(t("ck.no_run", lang), kind="warning")
    found = run.tables.get(name)
    if found is None:
        return message(f"{t('no_data', lang)}: {name}", kind="info")
    frame = figures.ranked_table(found, countries=countries, min_score=min_score)
    return html.Div(
        [
            html.P(t("ck.run", lang, run=run.id, created=run.created_at), id=ids.CK_RUN),
            table(ROWS, frame, selectable=True),
        ]
    )


def _explain(ctx: DashContext, chain: str, finding: str, lang: Lang) -> Component:
    run = _run(ctx, chain)
    exp = figures.explanation_parts(ctx.explain_finding(run, finding))
    fig = figures.components_figure(exp, t("ck.explain", lang))
    items = [html.Div([html.B(k + ": "), html.Span(v)]) for k, v in figures.explanation_items(exp)]
    return html.Div([*([dcc.Graph(figure=fig)] if fig is not None else []), *items])


def register(app: dash.Dash, ctx: DashContext) -> None:
    def layout(lang: Lang = "zh", chain: str | None = None, **_: object) -> Component:
        def build() -> Component:
            p = ctx.principal()
            cid = ctx.chain_for(p, chain)
            chains = chain_options(ctx.chains(p), lang)
            countries = (
                ctx.visible_data(p, cid).node_table(NodeLabel.PLANT)["country"].dropna().unique()
            )
            return html.Div(
                [
                    dcc.Store(id=ids.PAGE_LANG, data=lang),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id=ids.CK_CHAIN, options=chains, value=cid, clearable=False
                            ),
                            dcc.Dropdown(
                                id=ids.CK_TABLE_NAME,
                                options=list(TABLES),
                                value="chokepoints",
                                clearable=False,
                            ),
                            dcc.Dropdown(
                                id=ids.CK_REGION,
                                options=sorted(map(str, countries)),
                                multi=True,
                                placeholder=t("country", lang),
                            ),
                            dcc.Input(
                                id=ids.CK_MIN_SCORE,
                                type="number",
                                placeholder=t("ck.min_score", lang),
                                debounce=True,
                            ),
                        ],
                        className="controls",
                    ),
                    dcc.Loading(html.Div(id=ids.CK_TABLE)),
                    html.H3(t("ck.explain", lang)),
                    html.Div(t("ck.select", lang), id=ids.CK_EXPLAIN),
                ]
            )

        return page(t("page.chokepoints", lang), guard(lang, build))

    dash.register_page(
        "chokepoints", path="/chokepoints", name="chokepoints", order=1, layout=layout
    )

    @app.callback(
        Output(ids.CK_TABLE, "children"),
        Input(ids.CK_CHAIN, "value"),
        Input(ids.CK_TABLE_NAME, "value"),
        Input(ids.CK_REGION, "value"),
        Input(ids.CK_MIN_SCORE, "value"),
        State(ids.PAGE_LANG, "data"),
    )
    def show_table(
        chain: str, name: str, countries: list[str] | None, min_score: float | None, lang: Lang
    ) -> object:
        return guard(lang, lambda: _ranked(ctx, chain, name, countries or [], min_score, lang))

    @app.callback(
        Output(ids.CK_EXPLAIN, "children"),
        Input(ROWS, "selected_rows"),
        State(ROWS, "data"),
        State(ids.CK_CHAIN, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def explain(
        rows: list[int] | None, data: list[dict[str, object]], chain: str, lang: Lang
    ) -> object:
        finding = str(data[rows[0]].get("finding_id")) if rows else None
        return (
            guard(lang, lambda: _explain(ctx, chain, finding, lang))
            if finding
            else t("ck.select", lang)
        )
