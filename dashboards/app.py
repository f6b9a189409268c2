"""The Dash app: navigation, the page container, and the pages registered from the factory.

:func:`create_dash_app` builds everything (nothing exists at import time); :func:`serve`
runs it (``chain-brain dashboard --host --port --store``).
"""

from __future__ import annotations

import importlib.util
import threading
from functools import partial
from pathlib import Path

import dash
from dash import Input, Output, dcc, html
from dash.development.base_component import Component

from chain_brain.services.security import Principal
from chain_brain.settings import Settings
from chain_brain.store import GraphStore
from dashboards import components, ids, pages
from dashboards.context import LOCAL_PRINCIPAL, DashContext
from dashboards.i18n import LANGS, lang_of, t
from dashboards.pages import overview

__all__ = ["create_dash_app", "serve", "PLOTLY_JS"]

#: The partial plotly.js bundle (scatter, bar, scattergeo), under ``dashboards/assets``.
PLOTLY_JS = "vendor/plotly-dashboards.min.js"


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
    (:meth:`DashContext.warm_up`).  One app per process: Dash Pages keep their page
    registry per process, so a second app would take over the first one's pages.

    For a fast first view, the bundles are served by the app itself (``serve_locally``),
    gzip-compressed when ``flask-compress`` is installed, and plotly.js is a partial
    bundle of the three trace types the figures use (:data:`PLOTLY_JS`, built by
    ``dashboards/plotlyjs``), loaded as a deferred script while the page's layout is on
    its way: ``dcc.Graph`` uses ``window.Plotly`` when it is there, so the full 4.8 MB
    bundle is neither fetched nor compiled.
    """
    ctx = DashContext(
        settings, store if store is not None else settings.open_store(), local_principal
    )
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(Path(__file__).with_name("assets")),
        assets_ignore=r"\.min\.js$",  # vendored bundles: included below, deferred
        title=t("app.title", "zh"),
        suppress_callback_exceptions=True,
        serve_locally=True,
        compress=importlib.util.find_spec("flask_compress") is not None,
    )
    app.config.external_scripts.append({"src": app.get_asset_url(PLOTLY_JS), "defer": "defer"})
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
        threading.Thread(
            target=ctx.warm_up,
            args=(partial(_first_views, ctx),),
            name="dashboard-warm-up",
            daemon=True,
        ).start()
    else:
        ctx.ready.set()
    return app


def _first_views(ctx: DashContext, principal: Principal, chain: str) -> None:
    """The overview of ``chain`` in every language (what ``/`` shows first)."""
    for lang in LANGS:
        overview.chain_view(ctx, principal, chain, lang)


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    store: GraphStore | None = None,
) -> None:
    """Run the dashboard on ``host:port`` (blocking)."""
    create_dash_app(settings, store=store).run(host=host, port=port, debug=False)
