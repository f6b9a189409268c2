"""预警 / Alerts: nodes whose TTR exceeds TTS in the latest scenario, capacity drops reported
by twins, chokepoints that are new since the previous analysis."""

from __future__ import annotations

import dash
import pandas as pd
from dash import html
from dash.development.base_component import Component

from chain_brain.services.monitoring import capacity_drop_alerts, new_chokepoints, ttr_alerts
from dashboards import ids
from dashboards.components import guard, message, page, table
from dashboards.context import DashContext
from dashboards.i18n import Lang, t

__all__ = ["register"]


def _section(table_id: str, title: str, frame: pd.DataFrame, lang: Lang) -> Component:
    body = (
        table(table_id + "-table", frame, page_size=10)
        if len(frame)
        else message(t("al.none", lang), id=table_id + "-none")
    )
    return html.Div([html.H3(title), body], id=table_id)


def register(app: dash.Dash, ctx: DashContext) -> None:
    def layout(lang: Lang = "zh", chain: str | None = None, **_: object) -> Component:
        def build() -> Component:
            p = ctx.principal()
            sections = [
                guard(
                    lang,
                    lambda: _section(
                        ids.AL_TTR, t("al.ttr", lang), ttr_alerts(ctx.latest_scenario(p)), lang
                    ),
                ),
                guard(
                    lang,
                    lambda: _section(
                        ids.AL_CAPACITY,
                        t("al.capacity", lang),
                        capacity_drop_alerts(ctx.fleet(p, chain)),
                        lang,
                    ),
                ),
                guard(
                    lang,
                    lambda: _section(
                        ids.AL_NEW_CHOKEPOINTS,
                        t("al.new", lang),
                        new_chokepoints(*ctx.analysis_runs(p, chain)),
                        lang,
                    ),
                ),
            ]
            return html.Div(sections)

        return page(t("page.alerts", lang), guard(lang, build))

    dash.register_page("alerts", path="/alerts", name="alerts", order=6, layout=layout)
