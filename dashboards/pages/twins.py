"""工厂孪生 / Plant twins: state and utilisation per plant, capacity fan chart, events."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component
from plotly.graph_objects import Figure

from chain_brain.services.monitoring import fleet_overview, plant_forecast
from dashboards import figures, ids
from dashboards.components import failure, guard, message, page, table
from dashboards.context import DashContext
from dashboards.i18n import Lang, t
from graph_schema.errors import ChainBrainError, NotFoundError

__all__ = ["register"]


def register(app: dash.Dash, ctx: DashContext) -> None:
    def overview(chain: str | None) -> pd.DataFrame:
        p = ctx.principal()
        cid = ctx.chain_for(p, chain)
        return ctx.cached(
            ("fleet_overview", p, cid),
            lambda: fleet_overview(ctx.fleet(p, cid), ctx.visible_data(p, cid)),
            ttl=30.0,
        )

    def layout(
        lang: Lang = "zh", chain: str | None = None, plant: str | None = None, **_: object
    ) -> Component:
        def build() -> Component:
            fo = overview(chain)
            plants = [
                {"value": r.plant_id, "label": f"{r.name} ({r.country})"}
                for r in fo.head(300).itertuples()
            ]
            chosen = plant or (plants[0]["value"] if plants else None)
            return html.Div(
                [
                    dcc.Store(id=ids.PAGE_LANG, data=lang),
                    dcc.Store(id="tw-chain", data=chain),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id=ids.TW_PLANT, options=plants, value=chosen, clearable=False
                            )
                        ],
                        className="controls",
                    ),
                    html.Div(id=ids.TW_STATE),
                    dcc.Loading(dcc.Graph(id=ids.TW_FAN)),
                    html.H3(t("tw.events", lang)),
                    html.Div(id=ids.TW_EVENTS),
                    html.H3(t("tw.fleet", lang)),
                    table(ids.TW_FLEET, fo.head(500), page_size=10),
                ]
            )

        return page(t("page.twins", lang), guard(lang, build))

    dash.register_page("twins", path="/twins", name="twins", order=5, layout=layout)

    @app.callback(
        Output(ids.TW_FAN, "figure"),
        Output(ids.TW_STATE, "children"),
        Output(ids.TW_EVENTS, "children"),
        Input(ids.TW_PLANT, "value"),
        State("tw-chain", "data"),
        State(ids.PAGE_LANG, "data"),
    )
    def show(plant: str, chain: str | None, lang: Lang) -> tuple[object, object, object]:
        try:
            fleet = ctx.fleet(ctx.principal(), chain)
            if plant not in fleet.plant_ids:
                raise NotFoundError(f"No plant twin with id {plant!r} is visible here.")
        except ChainBrainError as exc:
            return Figure(), failure(exc, lang), ""
        forecast = plant_forecast(fleet, plant)
        events = fleet.history().query("plant_id == @plant").tail(20)
        note = (
            message(t("tw.no_telemetry", lang)) if forecast["n_samples"].min() == 0 else html.Div()
        )
        return (
            figures.fan_chart(forecast, lang, title=f"{t('tw.fan', lang)}: {plant}"),
            note,
            table("tw-events-table", events) if len(events) else t("no_data", lang),
        )
