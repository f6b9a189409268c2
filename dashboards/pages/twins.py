"""placeholder"""

from __future__ import annotations

import dash
from dash import html

from dashboards.context import DashContext


def register(app: dash.Dash, ctx: DashContext) -> None:
    dash.register_page("twins", path="/twins", name="twins", layout=lambda **_: html.Div("twins"))
