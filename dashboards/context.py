"""What every page needs: the store, short-lived snapshot caches, and who is asking.

One :class:`DashContext` is made by :func:`dashboards.app.create_dash_app` and handed to each
page's ``register``; nothing here exists at import time.

Who is asking: when ``settings.api_keys_file`` is set, every request must carry an
``X-API-Key`` header, resolved through :mod:`chain_brain.services.security`; without a keys
file the dashboard is a single-user local run and the principal is ``local_principal``
(an admin unless the caller says otherwise).  A principal bound to a chain (a chain lead)
can open only that chain: :meth:`DashContext.chain_for` raises
:class:`~chain_brain.services.security.PermissionDeniedError` for any other.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

import flask

from chain_brain.services import monitoring
from chain_brain.services.chains import ChainMap, ChainSummary, chain_map, list_chains
from chain_brain.services.security import (
    KeyRing,
    Permission,
    Principal,
    Role,
    redact,
    require,
    scoped,
)
from chain_brain.settings import Settings
from chain_brain.store import GraphStore, RunRecord, Scope
from chain_brain.twins import TwinFleet
from graph_schema.errors import ChainBrainError, NotFoundError
from graph_schema.frames import GraphData

__all__ = [
    "DashContext",
    "ServiceUnavailableError",
    "API_KEY_HEADER",
    "LOCAL_PRINCIPAL",
]

API_KEY_HEADER = "X-API-Key"
LOCAL_PRINCIPAL = Principal(key_id="local", role=Role.ADMIN)
T = TypeVar("T")


class ServiceUnavailableError(ChainBrainError):
    """A ``chain_brain.services`` function the page needs is not installed yet."""

    def __init__(self, service: str) -> None:
        super().__init__(f"Service {service!r} is not available.")
        self.service = service


@dataclass
class DashContext:
    """Store, caches and access rules shared by the pages of one Dash app."""

    settings: Settings
    store: GraphStore
    local_principal: Principal = LOCAL_PRINCIPAL
    ttl_seconds: float = 120.0
    _cache: dict[tuple[object, ...], tuple[float, object]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _keyring: KeyRing | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    # ---------------------------------------------------------------- caching
    def cached(
        self, key: tuple[object, ...], compute: Callable[[], T], *, ttl: float | None = None
    ) -> T:
        """``compute()`` remembered for ``ttl`` (default ``ttl_seconds``) under ``key``."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < (self.ttl_seconds if ttl is None else ttl):
            return hit[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def snapshot(self, scope: Scope | None = None) -> GraphData:
        return self.cached(("snapshot", scope), lambda: self.store.snapshot(scope))

    def warm_up(self) -> None:
        """Fill the caches the first views need (chains, chain maps, snapshots, the latest
        analysis), so the first meaningful view of a big graph does not wait for them; run
        in a background thread.  ``ready`` is set when it is done (or failed)."""
        try:
            self.snapshot(Scope())
            for c in self.chains(LOCAL_PRINCIPAL):
                self.chain_map(LOCAL_PRINCIPAL, c.id)
                self.snapshot(Scope(chain=c.id))
                self.latest_analysis(LOCAL_PRINCIPAL, c.id)
        except ChainBrainError:  # an empty or unreachable store: pages will say so
            pass
        finally:
            self.ready.set()

    # ---------------------------------------------------------------- access
    def principal(self) -> Principal:
        """The principal of the current request (see the module docstring)."""
        if not self.settings.api_keys_file:
            return self.local_principal
        if self._keyring is None:
            self._keyring = KeyRing(self.settings.api_keys_file)
        presented = (
            flask.request.headers.get(API_KEY_HEADER) if flask.has_request_context() else None
        )
        return self._keyring.authenticate(presented)

    def chains(self, principal: Principal) -> list[ChainSummary]:
        """Chains the principal may open."""
        every: list[ChainSummary] = self.cached(("chains",), lambda: list_chains(self.store))
        return [c for c in every if principal.chain is None or c.id == principal.chain]

    def chain_for(self, principal: Principal, requested: str | None) -> str:
        """The chain to show: ``requested`` if the principal may see it, else its own or the
        first one; :class:`PermissionDeniedError` when ``requested`` is another chain."""
        chain = scoped(principal, Scope(chain=requested or None)).chain
        if chain is not None:
            return chain
        chains = self.chains(principal)
        if not chains:
            raise NotFoundError(
                "The store holds no chain; load data first (chain-brain load-sample)."
            )
        return chains[0].id

    # ---------------------------------------------------------------- services
    def chain_map(self, principal: Principal, chain: str | None) -> ChainMap:
        cid = self.chain_for(principal, chain)
        return self.cached(("chain_map", cid), lambda: chain_map(self.store, cid))

    def service(self, module: str, name: str) -> Callable[..., Any]:
        """``chain_brain.services.<module>.<name>``, imported when first used."""
        try:
            mod: ModuleType = importlib.import_module(f"chain_brain.services.{module}")
            return getattr(mod, name)  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            raise ServiceUnavailableError(f"chain_brain.services.{module}.{name}") from None

    def latest_analysis(self, principal: Principal, chain: str | None) -> RunRecord | None:
        """The latest analysis run of the chain (``services.analysis.latest_analysis``)."""
        cid = self.chain_for(principal, chain)
        latest = self.service("analysis", "latest_analysis")
        return self.cached(
            ("latest_analysis", cid), lambda: latest(self.store, chain=cid), ttl=15.0
        )

    def explain_finding(self, run: RunRecord, finding_id: str) -> dict[str, object]:
        """``services.analysis.explain_finding`` (a non-dict answer is wrapped)."""
        result = self.service("analysis", "explain_finding")(self.store, run.id, finding_id)
        return result if isinstance(result, dict) else {"explanation": result}

    def analysis_runs(
        self, principal: Principal, chain: str | None
    ) -> tuple[RunRecord | None, RunRecord | None]:
        """The latest two analysis runs of the principal's chain (tables loaded)."""
        cid = self.chain_for(principal, chain)
        runs = [
            r
            for r in self.store.list_runs("analysis")
            if principal.sees_tenant(r.tenant) and _run_chain(r) in (cid, None)
        ][:2]
        loaded = [self.store.load_run("analysis", r.id) for r in runs]
        return (loaded[0] if loaded else None, loaded[1] if len(loaded) > 1 else None)

    def latest_scenario(self, principal: Principal) -> RunRecord | None:
        runs = [r for r in self.store.list_runs("scenario") if principal.sees_tenant(r.tenant)]
        return self.store.load_run("scenario", runs[0].id) if runs else None

    def visible_data(self, principal: Principal) -> GraphData:
        """The part of the graph ``principal`` may read, confidential values redacted."""
        return redact(principal, self.snapshot(scoped(principal, Scope())))

    def scenario_runs(self, principal: Principal) -> list[RunRecord]:
        return [r for r in self.store.list_runs("scenario") if principal.sees_tenant(r.tenant)]

    def run_scenario(
        self,
        principal: Principal,
        chain: str | None,
        disrupted: list[str],
        regions: list[str],
        ttr_weeks: float,
        *,
        sweep: bool = False,
    ) -> RunRecord:
        """Run and store a what-if through ``chain_brain.services.scenarios.run_scenario``."""
        require(principal, Permission.RUN_SCENARIO)
        cid = self.chain_for(principal, chain)
        spec_type = self.service("scenarios", "ScenarioSpec")
        picked = [*disrupted, *regions]
        name = f"{', '.join(picked[:3])}{' ...' if len(picked) > 3 else ''} ({ttr_weeks:g} wk)"
        spec = spec_type(
            name=name,
            scope=Scope(chain=cid),
            disrupted=tuple(disrupted),
            regions=tuple(regions),
            ttr_weeks=float(ttr_weeks),
            sweep=sweep,
            tenant=principal.tenant_key,
        )
        return self.service("scenarios", "run_scenario")(self.store, spec)  # type: ignore[no-any-return]

    def fleet(self, principal: Principal, chain: str | None) -> TwinFleet:
        """The stored twin fleet (``services.twins.load_fleet``), or, when no twins were
        created yet, one built from the chain's surveyed capacities ."""
        cid = self.chain_for(principal, chain)

        def load() -> TwinFleet:
            try:
                stored = self.service("twins", "load_fleet")(self.store)
            except ServiceUnavailableError:
                stored = None
            return (
                stored
                if stored is not None
                else monitoring.build_fleet(self.snapshot(Scope(chain=cid)))
            )

        return self.cached(("fleet", cid), load)


def _run_chain(run: RunRecord) -> str | None:
    """The chain a stored run was scoped to (``params.scope.chain`` or ``params.chain``)."""
    scope = run.params.get("scope")
    if isinstance(scope, dict) and scope.get("chain"):
        return str(scope["chain"])
    chain = run.params.get("chain")
    return str(chain) if chain else None
