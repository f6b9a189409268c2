"""区域分布 / Regional distribution: plants on a map, capacity by country and region."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component
from plotly.graph_objects import Figure

from chain_brain.services.monitoring import concentration, hhi, plant_capacity
from dashboards import figures, ids
from dashboards.components import chain_options, failure, guard, page
from dashboards.context import DashContext
from dashboards.i18n import Lang, t
from graph_schema.errors import ChainBrainError

__all__ = ["register", "TOPOJSON_URL"]

#: Map outlines bundled in dashboards/assets/topojson (no internet needed).
TOPOJSON_URL = "/assets/topojson/"


def _plants(ctx: DashContext, chain: str) -> pd.DataFrame:
    p = ctx.principal()
    cid = ctx.chain_for(p, chain)
    return ctx.cached(("plant_capacity", p, cid), lambda: plant_capacity(ctx.visible_data(p, cid)))


def register(app: dash.Dash, ctx: DashContext) -> None:
    def layout(lang: Lang = "zh", chain: str | None = None, **_: object) -> Component:
        def build() -> Component:
            p = ctx.principal()
            cid = ctx.chain_for(p, chain)
            chains = chain_options(ctx.chains(p), lang)
            return html.Div(
                [
                    dcc.Store(id=ids.PAGE_LANG, data=lang),
                    html.Div(
                        [dcc.Dropdown(id=ids.RG_CHAIN, options=chains, value=cid, clearable=False)],
                        className="controls",
                    ),
                    html.P(id=ids.RG_HHI),
                    dcc.Loading(
                        dcc.Graph(
                            id=ids.RG_MAP,
                            config={"displayModeBar": False, "topojsonURL": TOPOJSON_URL},
                        )
                    ),
                    html.Div(
                        [dcc.Graph(id=ids.RG_COUNTRY), dcc.Graph(id=ids.RG_REGION)], className="row"
                    ),
                ]
            )

        return page(t("page.regions", lang), guard(lang, build))

    dash.register_page("regions", path="/regions", name="regions", order=2, layout=layout)

    @app.callback(
        Output(ids.RG_MAP, "figure"),
        Output(ids.RG_COUNTRY, "figure"),
        Output(ids.RG_REGION, "figure"),
        Output(ids.RG_HHI, "children"),
        Input(ids.RG_CHAIN, "value"),
        State(ids.PAGE_LANG, "data"),
    )
    def show(chain: str, lang: Lang) -> tuple[object, object, object, object]:
        try:
            plants = _plants(ctx, chain)
        except ChainBrainError as exc:
            return Figure(), Figure(), Figure(), failure(exc, lang)
        by_country = concentration(plants, "country")
        return (
            figures.plants_map_figure(plants, lang),
            figures.concentration_figure(by_country, t("rg.by_country", lang)),
            figures.concentration_figure(concentration(plants, "region"), t("rg.by_region", lang)),
            t("rg.hhi", lang, hhi=hhi(by_country["share"])),
        )
