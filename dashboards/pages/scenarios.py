"""情景推演 / Scenario studio: pick disrupted plants, firms or regions and a time to recover,
run, see lost demand, the reallocation plan and TTS vs TTR per node; compare two runs."""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from chain_brain.store import RunRecord, Scope
from dashboards import figures, ids
from dashboards.components import guard, message, options, page, table
from dashboards.context import DashContext
from dashboards.i18n import Lang, t
from dashboards.interim_services import lead_firm_options, plant_capacity

__all__ = ["register", "render_run"]


def render_run(run: RunRecord, lang: Lang) -> Component:
    """Summary, TTS/TTR chart and plan of one scenario run."""
    nodes = run.tables.get("nodes")
    plan = run.tables.get("plan")
    loss = (
        float(nodes["loss"].sum())
        if nodes is not None and "loss" in nodes.columns
        else float("nan")
    )
    attention = (
        int(nodes["needs_attention"].astype(bool).sum())
        if nodes is not None and "needs_attention" in nodes.columns
        else 0
    )
    return html.Div(
        [
            html.H3(f"{t('sc.result', lang)}: {run.id}"),
            html.P(t("sc.lost", lang, loss=loss, attention=attention), id=ids.SC_SUMMARY),
            dcc.Graph(
                id=ids.SC_NODES_GRAPH,
                figure=figures.tts_ttr_figure(nodes if nodes is not None else _empty(), lang),
            ),
            html.H3(t("sc.plan", lang)),
            table(ids.SC_PLAN, plan if plan is not None else _empty(), page_size=10),
        ]
    )


def _empty() -> object:
    import pandas as pd

    return pd.DataFrame()


def _compare(ctx: DashContext, a: str, b: str) -> Component:
    ra, rb = ctx.store.load_run("scenario", a), ctx.store.load_run("scenario", b)
    fig = figures.scenario_compare_figure(
        ra.tables.get("nodes", _empty()), rb.tables.get("nodes", _empty()), (a[:8], b[:8])
    )  # type: ignore[arg-type]
    return dcc.Graph(figure=fig)


def register(app: dash.Dash, ctx: DashContext) -> None:
    def layout(lang: Lang = "zh", chain: str | None = None, **_: object) -> Component:
        def build() -> Component:
            p = ctx.principal()
            cid = ctx.chain_for(p, chain)
            data = ctx.snapshot(Scope(chain=cid))
            plants = plant_capacity(data).sort_values("capacity", ascending=False).head(300)
            firms = lead_firm_options(data, limit=200)
            countries = sorted(plants["country"].dropna().astype(str).unique())
            runs = [
                (r.id, f"{r.created_at[:19]} {r.params.get('name', r.id)}")
                for r in ctx.scenario_runs(p)
            ]
            return html.Div(
                [
                    dcc.Store(id=ids.PAGE_LANG, data=lang),
                    dcc.Store(id=ids.SC_CHAIN, data=cid),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id=ids.SC_PLANTS,
                                options=options(
                                    [(r.id, f"{r.name} ({r.country})") for r in plants.itertuples()]
                                ),
                                multi=True,
                                placeholder=t("sc.plants", lang),
                            ),
                            dcc.Dropdown(
                                id=ids.SC_FIRMS,
                                options=options(list(zip(firms["id"], firms["name"], strict=True))),
                                multi=True,
                                placeholder=t("sc.firms", lang),
                            ),
                            dcc.Dropdown(
                                id=ids.SC_REGIONS,
                                options=countries,
                                multi=True,
                                placeholder=t("sc.regions", lang),
                            ),
                            html.Label(
                                [
                                    t("sc.ttr", lang),
                                    dcc.Input(id=ids.SC_TTR, type="number", value=14, min=1),
                                ]
                            ),
                            html.Button(t("sc.run", lang), id=ids.SC_RUN, n_clicks=0),
                        ],
                        className="controls",
                    ),
                    dcc.Loading(html.Div(id=ids.SC_RESULT)),
                    html.H3(t("sc.compare", lang)),
                    html.Div(
                        [
                            dcc.Dropdown(id=ids.SC_A, options=options(runs)),
                            dcc.Dropdown(id=ids.SC_B, options=options(runs)),
                        ],
                        className="controls",
                    ),
                    html.Div(id=ids.SC_COMPARE),
                ]
            )

        return page(t("page.scenarios", lang), guard(lang, build))

    dash.register_page("scenarios", path="/scenarios", name="scenarios", order=4, layout=layout)

    @app.callback(
        Output(ids.SC_RESULT, "children"),
        Input(ids.SC_RUN, "n_clicks"),
        State(ids.SC_CHAIN, "data"),
        State(ids.SC_PLANTS, "value"),
        State(ids.SC_FIRMS, "value"),
        State(ids.SC_REGIONS, "value"),
        State(ids.SC_TTR, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def run(
        _: int,
        chain: str,
        plants: list[str] | None,
        firms: list[str] | None,
        regions: list[str] | None,
        ttr: float | None,
        lang: Lang,
    ) -> object:
        disrupted = [*(plants or []), *(firms or []), *(regions or [])]
        if not disrupted:
            return message(t("sc.pick", lang), kind="warning")
        return guard(
            lang,
            lambda: render_run(
                ctx.run_scenario(ctx.principal(), chain, disrupted, float(ttr or 14)), lang
            ),
        )

    @app.callback(
        Output(ids.SC_COMPARE, "children"),
        Input(ids.SC_A, "value"),
        Input(ids.SC_B, "value"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def compare(a: str | None, b: str | None, lang: Lang) -> object:
        return guard(lang, lambda: _compare(ctx, a, b)) if a and b else None
