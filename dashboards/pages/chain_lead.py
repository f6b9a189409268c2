"""链长视图 / Chain-lead view: one enterprise's supplier tiers (aggregated per tier), its
exposure, substitutes for at-risk inputs and supply-demand matching (供需对接)."""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component

from chain_brain.services.monitoring import SupplierView, lead_firm_options, supplier_view
from dashboards import figures, ids
from dashboards.components import guard, options, page, table
from dashboards.context import DashContext
from dashboards.i18n import Lang, t
from graph_schema.errors import NotFoundError

__all__ = ["register"]


def _view(ctx: DashContext, firm: str) -> SupplierView:
    p = ctx.principal()
    if p.firm is not None and firm != p.firm:
        raise NotFoundError(f"Firm {firm!r} is not visible to key {p.key_id!r}.")
    return ctx.cached(("supplier_view", p, firm), lambda: supplier_view(ctx.visible_data(p), firm))


def _render(v: SupplierView, lang: Lang) -> Component:
    return html.Div(
        [
            html.P(
                t(
                    "cl.summary",
                    lang,
                    firm=v.name,
                    suppliers=v.n_suppliers,
                    tiers=v.n_tiers,
                    hhi=v.hhi,
                ),
                id=ids.CL_SUMMARY,
            ),
            html.Div(
                [
                    dcc.Graph(figure=figures.tiers_figure(v.tiers, lang), id=ids.CL_TIERS),
                    dcc.Graph(
                        figure=figures.concentration_figure(
                            v.exposure, t("cl.exposure", lang), value="suppliers", key="country"
                        ),
                        id=ids.CL_EXPOSURE,
                    ),
                ],
                className="row",
            ),
            html.H3(t("cl.at_risk", lang)),
            table(ids.CL_AT_RISK, v.at_risk),
            html.H3(t("cl.substitutes", lang)),
            table(ids.CL_SUBSTITUTES, v.substitutes, page_size=10),
            html.H3(t("cl.matching", lang)),
            table(ids.CL_MATCHING, v.matching, page_size=10),
        ]
    )


def register(app: dash.Dash, ctx: DashContext) -> None:
    def layout(lang: Lang = "zh", firm: str | None = None, **_: object) -> Component:
        def build() -> Component:
            p = ctx.principal()
            if p.firm is not None:
                firms = [(p.firm, p.firm)]
            else:
                opts = ctx.cached(("lead_firms", p), lambda: lead_firm_options(ctx.visible_data(p)))
                firms = list(zip(opts["id"], opts["name"], strict=True))
            chosen = firm if firm in {f for f, _ in firms} else (firms[0][0] if firms else None)
            return html.Div(
                [
                    dcc.Store(id=ids.PAGE_LANG, data=lang),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id=ids.CL_FIRM,
                                options=options(firms),
                                value=chosen,
                                clearable=False,
                            )
                        ],
                        className="controls",
                    ),
                    dcc.Loading(html.Div(id="cl-body")),
                ]
            )

        return page(t("page.chain_lead", lang), guard(lang, build))

    dash.register_page("chain_lead", path="/chain-lead", name="chain-lead", order=3, layout=layout)

    @app.callback(
        Output("cl-body", "children"), Input(ids.CL_FIRM, "value"), State(ids.PAGE_LANG, "data")
    )
    def show(firm: str, lang: Lang) -> object:
        return guard(lang, lambda: _render(_view(ctx, firm), lang))
