"""placeholder"""

from __future__ import annotations

import dash
from dash import html

from dashboards.context import DashContext


def register(app: dash.Dash, ctx: DashContext) -> None:
    dash.register_page(
        "chain_lead",
        path="/chain-lead",
        name="chain_lead",
        layout=lambda **_: html.Div("chain_lead"),
    )
