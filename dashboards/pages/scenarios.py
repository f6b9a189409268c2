"""placeholder"""

from __future__ import annotations

import dash
from dash import html

from dashboards.context import DashContext


def register(app: dash.Dash, ctx: DashContext) -> None:
    dash.register_page(
        "scenarios", path="/scenarios", name="scenarios", layout=lambda **_: html.Div("scenarios")
    )
