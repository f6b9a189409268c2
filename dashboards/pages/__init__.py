"""The pages of the dashboard; each module offers ``register(app, ctx)``, called by
:func:`dashboards.app.create_dash_app` (never at import time)."""

from __future__ import annotations

from dashboards.pages import alerts, chain_lead, chokepoints, overview, regions, scenarios, twins

__all__ = ["ALL"]

ALL = (overview, chokepoints, regions, chain_lead, scenarios, twins, alerts)
