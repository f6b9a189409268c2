"""情景推演 / Scenario studio: pick disrupted plants, firms or regions and a time to recover,
run, see lost demand, the nodes that lose demand and TTS vs TTR per node; compare two runs."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from chain_brain.services.monitoring import lead_firm_options, plant_capacity
from chain_brain.store import RunRecord
from dashboards import figures, ids
from dashboards.components import guard, message, options, page, table
from dashboards.context import DashContext
from dashboards.i18n import Lang, t

__all__ = ["register", "render_run", "headline"]

SWEEP = "sweep"


def headline(run: RunRecord, lang: Lang) -> str:
    """One sentence: loss, lost share, TTS and TTR of a scenario run."""
    s = run.summary
    tts = s.get("tts_weeks")
    return t(
        "sc.headline",
        lang,
        loss=float(s.get("loss") or 0.0),  # type: ignore[arg-type]
        share=float(s.get("lost_share") or 0.0),  # type: ignore[arg-type]
        tts="∞" if tts is None else f"{float(tts):g}",  # type: ignore[arg-type]
        ttr=float(s.get("ttr_weeks") or 0.0),  # type: ignore[arg-type]
        attention=t("sc.attention", lang) if s.get("needs_attention") else "",
    )


def render_run(run: RunRecord, lang: Lang) -> Component:
    """Headline, TTS/TTR per node (when swept), lost demand and disrupted nodes of a run."""
    nodes = run.tables.get("nodes")
    raw = run.summary.get("notes")
    notes = [html.Li(str(n)) for n in raw] if isinstance(raw, list) else []
    return html.Div(
        [
            html.H3(f"{t('sc.result', lang)}: {run.params.get('name', run.id)}"),
            html.P(headline(run, lang), id=ids.SC_SUMMARY),
            html.Ul(notes),
            *(
                [dcc.Graph(id=ids.SC_NODES_GRAPH, figure=figures.tts_ttr_figure(nodes, lang))]
                if nodes is not None
                else []
            ),
            html.H3(t("sc.impact", lang)),
            table(ids.SC_PLAN, run.tables.get("impact", pd.DataFrame()), page_size=10),
            html.H3(t("sc.disrupted", lang)),
            table("sc-disrupted", run.tables.get("disrupted", pd.DataFrame()), page_size=5),
        ]
    )


def _compare(ctx: DashContext, a: str, b: str) -> Component:
    p = ctx.principal()
    ra, rb = ctx.run(p, "scenario", a), ctx.run(p, "scenario", b)
    head = ctx.service("scenarios", "compare_scenarios")(ctx.store, a, b)
    na, nb = ra.tables.get("nodes"), rb.tables.get("nodes")
    fig = (
        [dcc.Graph(figure=figures.scenario_compare_figure(na, nb, (a, b)))]
        if na is not None and nb is not None
        else []
    )
    return html.Div([table("sc-compare-table", head), *fig])


def register(app: dash.Dash, ctx: DashContext) -> None:
    def layout(lang: Lang = "zh", chain: str | None = None, **_: object) -> Component:
        def build() -> Component:
            p = ctx.principal()
            cid = ctx.chain_for(p, chain)
            data = ctx.visible_data(p, cid)
            plants = plant_capacity(data).sort_values("capacity", ascending=False).head(300)
            firms = lead_firm_options(data, limit=200)
            countries = sorted(plants["country"].dropna().astype(str).unique())
            runs = [
                (r.id, f"{r.created_at[:19]} {r.params.get('name', r.id)}")
                for r in ctx.scenario_runs(p)
            ]
            plant_opts = options([(r.id, f"{r.name} ({r.country})") for r in plants.itertuples()])
            return html.Div(
                [
                    dcc.Store(id=ids.PAGE_LANG, data=lang),
                    dcc.Store(id=ids.SC_CHAIN, data=cid),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id=ids.SC_PLANTS,
                                options=plant_opts,
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
                                    dcc.Input(id=ids.SC_TTR, type="number", value=4, min=0),
                                ]
                            ),
                            dcc.Checklist(
                                id=ids.SC_SWEEP,
                                options=[{"label": t("sc.sweep", lang), "value": SWEEP}],
                                value=[],
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
        State(ids.SC_SWEEP, "value"),
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
        sweep: list[str] | None,
        lang: Lang,
    ) -> object:
        if not (plants or firms or regions):
            return message(t("sc.pick", lang), kind="warning")
        p = ctx.principal()
        return guard(
            lang,
            lambda: render_run(
                ctx.run_scenario(
                    p,
                    chain,
                    [*(plants or []), *(firms or [])],
                    regions or [],
                    float(ttr or 4),
                    sweep=SWEEP in (sweep or []),
                ),
                lang,
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
