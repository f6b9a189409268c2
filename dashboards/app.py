"""The Dash app: navigation, the page container, and the pages registered from the factory.

:func:`create_dash_app` builds everything (nothing exists at import time); :func:`serve`
runs it (``chain-brain dashboard --host --port --store``).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import dash
from dash import Input, Output, dcc, html
from dash.development.base_component import Component

from chain_brain.services.security import Principal
from chain_brain.settings import Settings
from chain_brain.store import GraphStore
from dashboards import components, ids, pages
from dashboards.context import LOCAL_PRINCIPAL, DashContext
from dashboards.i18n import lang_of, t

__all__ = ["create_dash_app", "serve", "PLOTLY_JS"]

#: Where Dash serves plotly.js (the URL ``dcc.Graph`` loads it from when ``serve_locally``).
PLOTLY_JS = "_dash-component-suites/plotly/package_data/plotly.min.js"


def create_dash_app(
    settings: Settings,
    *,
    store: GraphStore | None = None,
    local_principal: Principal = LOCAL_PRINCIPAL,
    warm_up: bool = True,
) -> dash.Dash:
    """The dashboard of ``store`` (opened from ``settings`` when not given).

    Pages are Dash Pages registered here, explicitly (``use_pages=True, pages_folder=""``),
    so that importing the package registers nothing.  ``local_principal`` is who a
    single-user local run acts as (used only when ``settings.api_keys_file`` is unset).
    ``warm_up`` computes the default chain's first view in a background thread
    (:meth:`DashContext.warm_up`).

    For a fast first view, the bundles are served by the app itself (``serve_locally``),
    gzip-compressed when ``flask-compress`` is installed, and plotly.js is fetched and
    parsed while the page's layout is still on its way (a deferred script at the URL the
    graphs load it from), instead of after the first graph is mounted.
    """
    ctx = DashContext(
        settings, store if store is not None else settings.open_store(), local_principal
    )
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(Path(__file__).with_name("assets")),
        title=t("app.title", "zh"),
        suppress_callback_exceptions=True,
        serve_locally=True,
        compress=importlib.util.find_spec("flask_compress") is not None,
    )
    app.config.external_scripts.append(
        {"src": f"{app.config.requests_pathname_prefix}{PLOTLY_JS}", "defer": "defer"}
    )
    for module in pages.ALL:
        module.register(app, ctx)
    app.layout = html.Div(
        [
            dcc.Location(id=ids.URL),
            html.Header(id=ids.NAV, className="nav"),
            html.Main(dash.page_container),
        ]
    )

    @app.callback(Output(ids.NAV, "children"), Input(ids.URL, "pathname"), Input(ids.URL, "search"))
    def navigation(pathname: str | None, search: str | None) -> list[Component]:
        return components.nav(pathname, search, lang_of(search))

    app.server.config["chain_brain_context"] = ctx
    if warm_up:
        threading.Thread(target=ctx.warm_up, name="dashboard-warm-up", daemon=True).start()
    else:
        ctx.ready.set()
    return app


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    store: GraphStore | None = None,
) -> None:
    """Run the dashboard on ``host:port`` (blocking)."""
    create_dash_app(settings, store=store).run(host=host, port=port, debug=False)
