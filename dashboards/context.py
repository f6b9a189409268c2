"""What every page needs: the store, caches of computed views, and who is asking.

One :class:`DashContext` is made by :func:`dashboards.app.create_dash_app` and handed to each
page's ``register``; nothing here exists at import time.

Who is asking: when ``settings.api_keys_file`` is set, every request must carry an
``X-API-Key`` header, resolved through :mod:`chain_brain.services.security`; without a keys
file the dashboard is a single-user local run and the principal is ``local_principal``
(an admin unless the caller says otherwise).

What they may see is decided by the same functions of
:mod:`chain_brain.services.security` the API calls, never re-implemented here:
:func:`~chain_brain.services.security.scoped` (a chain lead opens only its chain; any
other raises :class:`~chain_brain.services.security.PermissionDeniedError`),
:func:`~chain_brain.services.security.visible` (the graph cut to the principal's chain
members and redacted), :func:`~chain_brain.services.security.view_for` (the store a
chain lead's scenario reads) and :meth:`Principal.sees_tenant` (which stored runs it may
read).  Every page reads the graph through :meth:`DashContext.visible_data`.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar, cast

import flask

from chain_brain.services import monitoring
from chain_brain.services.cache import cached_snapshot, view_cache
from chain_brain.services.chains import ChainMap, ChainSummary, chain_map, list_chains
from chain_brain.services.security import (
    KeyRing,
    Permission,
    Principal,
    Role,
    audience,
    require,
    scoped,
    view_for,
    visible,
    visible_run,
)
from chain_brain.settings import Settings
from chain_brain.store import GraphStore, RunRecord, Scope
from chain_brain.twins import TwinFleet
from graph_schema.errors import ChainBrainError, NotFoundError
from graph_schema.frames import GraphData
from graph_schema.model import NodeLabel

__all__ = [
    "DashContext",
    "ServiceUnavailableError",
    "API_KEY_HEADER",
    "LOCAL_PRINCIPAL",
]

API_KEY_HEADER = "X-API-Key"
LOCAL_PRINCIPAL = Principal(key_id="local", role=Role.ADMIN)
#: Chains bound to API keys whose views the warm-up also computes (beyond the default one).
WARM_BOUND_CHAINS = 8
T = TypeVar("T")


class ServiceUnavailableError(ChainBrainError):
    """A ``chain_brain.services`` function the page needs is not installed yet."""

    def __init__(self, service: str) -> None:
        super().__init__(f"Service {service!r} is not available.")
        self.service = service


class _CachedReads:
    """The store as the dashboards hand it to the security functions: snapshots through
    :func:`chain_brain.services.cache.cached_snapshot` (read once per revision, shared with
    the services); every other method is the store's own."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.uri = store.uri

    def snapshot(self, scope: Scope | None = None) -> GraphData:
        return cached_snapshot(self._store, scope or Scope())

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


@dataclass
class DashContext:
    """Store, caches and access rules shared by the pages of one Dash app."""

    settings: Settings
    store: GraphStore
    local_principal: Principal = LOCAL_PRINCIPAL
    _cache: dict[tuple[object, ...], tuple[float, object]] = field(default_factory=dict)  # expiry
    _revision: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _keyring: KeyRing | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    _reader: _CachedReads | None = None

    # ---------------------------------------------------------------- caching
    def cached(
        self, key: tuple[object, ...], compute: Callable[[], T], *, ttl: float | None = None
    ) -> T:
        """``compute()`` remembered under ``key`` until the store's
        :meth:`~chain_brain.store.GraphStore.revision` changes.

        Without ``ttl``: in the services' bounded cache
        (:func:`chain_brain.services.cache.view_cache`, shared with the API; one
        computation when several requests ask at once).  With ``ttl`` (values read from
        stored runs or twins, which do not change the revision): here, for at most
        ``ttl`` seconds.
        """
        if ttl is None:
            return view_cache().get(self.store, "dashboards", key, compute)
        revision = self.store.revision()
        now = time.monotonic()
        with self._lock:
            if revision != self._revision:
                self._cache.clear()
                self._revision = revision
            hit = self._cache.get(key)
        if hit is not None and now < hit[0]:
            return hit[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if self._revision == revision:
                self._cache = {k: v for k, v in self._cache.items() if now < v[0]}
                self._cache[key] = (now + ttl, value)
        return value

    @property
    def reader(self) -> GraphStore:
        """The store with cached snapshots, handed to the security functions (one object,
        so that caches keyed by the store see the same one)."""
        if self._reader is None:
            self._reader = _CachedReads(self.store)
        return cast(GraphStore, self._reader)

    def warm_up(self, view: Callable[[Principal, str], object] | None = None) -> None:
        """Compute what the first view needs, so that a first visitor does not wait for
        the services: the chain list, the default chain's map and latest analysis, and
        ``view(principal, chain)`` (the page's own first view), for the local principal
        and for chains bound to API keys.  Run in a background thread at start-up;
        ``ready`` is set when it is done (or failed).  Other chains are computed on
        their first visit."""
        try:
            for p in [self.local_principal, *self._bound_principals()]:
                cid = self.chain_for(p, None)
                self.chain_map(p, cid)
                self.latest_analysis(p, cid)
                if view is not None:
                    view(p, cid)
        except ChainBrainError:  # an empty or unreachable store: pages will say so
            pass
        finally:
            self.ready.set()

    def _bound_principals(self) -> list[Principal]:
        if not self.settings.api_keys_file:
            return []
        records = self._keys().records()
        bound = [r.principal() for r in records if r.chain is not None and not r.revoked]
        return bound[:WARM_BOUND_CHAINS]

    # ---------------------------------------------------------------- access
    def _keys(self) -> KeyRing:
        if self._keyring is None:
            self._keyring = KeyRing(str(self.settings.api_keys_file))
        return self._keyring

    def principal(self) -> Principal:
        """The principal of the current request (see the module docstring)."""
        if not self.settings.api_keys_file:
            return self.local_principal
        presented = (
            flask.request.headers.get(API_KEY_HEADER) if flask.has_request_context() else None
        )
        return self._keys().authenticate(presented)

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

    def visible_data(self, principal: Principal, chain: str | None = None) -> GraphData:
        """The graph of ``chain`` (every chain when None) as ``principal`` may read it:
        :func:`chain_brain.services.security.visible`, cached."""
        scope = Scope(chain=chain)
        return self.cached(
            ("visible", principal, scope), lambda: visible(self.reader, principal, scope)
        )

    def visible_ids(self, principal: Principal, chain: str, label: NodeLabel) -> set[str]:
        """Ids of the ``label`` nodes of :meth:`visible_data`."""
        return self.cached(
            ("visible_ids", principal, chain, label),
            lambda: set(self.visible_data(principal, chain).node_table(label)["id"].astype(str)),
        )

    def require_visible(
        self, principal: Principal, chain: str, labels: Iterable[NodeLabel], node_ids: Iterable[str]
    ) -> None:
        """:class:`NotFoundError` naming the first of ``node_ids`` that is none of
        ``labels`` in the principal's view of ``chain`` (as the API answers 404)."""
        known: set[str] = set()
        for label in labels:
            known |= self.visible_ids(principal, chain, label)
        for node in node_ids:
            if str(node) not in known:
                raise NotFoundError(f"No node with id {node!r} is visible in chain {chain!r}.")

    # ---------------------------------------------------------------- services
    def chain_map(self, principal: Principal, chain: str | None) -> ChainMap:
        """:func:`chain_brain.services.chains.chain_map` of a chain the principal may open
        (cached by the service)."""
        return chain_map(self.store, self.chain_for(principal, chain))

    def service(self, module: str, name: str) -> Callable[..., Any]:
        """``chain_brain.services.<module>.<name>``, imported when first used."""
        try:
            mod: ModuleType = importlib.import_module(f"chain_brain.services.{module}")
            return getattr(mod, name)  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            raise ServiceUnavailableError(f"chain_brain.services.{module}.{name}") from None

    def _runs(self, principal: Principal, kind: str, chain: str | None) -> list[RunRecord]:
        """Stored runs of ``kind`` the principal's tenant may read (of ``chain`` when
        given), newest first, tables not loaded."""
        return [
            r
            for r in self.store.list_runs(kind)
            if principal.sees_tenant(r.tenant) and (chain is None or _run_chain(r) == chain)
        ]

    def run(self, principal: Principal, kind: str, run_id: str) -> RunRecord:
        """One stored run as the API serves it to ``principal``
        (:func:`chain_brain.services.security.visible_run`): :class:`NotFoundError` unless its
        tenant may read it, tables redacted for it."""
        return visible_run(self.store, principal, kind, run_id)

    def latest_analysis(self, principal: Principal, chain: str | None) -> RunRecord | None:
        """The latest analysis run of the chain that the principal's tenant may read."""
        cid = self.chain_for(principal, chain)

        def load() -> RunRecord | None:
            runs = self._runs(principal, "analysis", cid)
            return self.run(principal, "analysis", runs[0].id) if runs else None

        key = ("latest_analysis", principal.tenant_key, audience(principal), cid)
        return self.cached(key, load, ttl=15.0)

    def explain_finding(self, run: RunRecord, finding_id: str) -> dict[str, object]:
        """``services.analysis.explain_row`` of a run read through :meth:`run` (so
        redacted as the API redacts it; a non-dict answer is wrapped)."""
        result = self.service("analysis", "explain_row")(run, finding_id)
        return result if isinstance(result, dict) else {"explanation": result}

    def analysis_runs(
        self, principal: Principal, chain: str | None
    ) -> tuple[RunRecord | None, RunRecord | None]:
        """The latest two analysis runs of the chain the principal may read (tables loaded
        and redacted for it)."""
        cid = self.chain_for(principal, chain)
        loaded = [
            self.run(principal, "analysis", r.id)
            for r in self._runs(principal, "analysis", cid)[:2]
        ]
        return (loaded[0] if loaded else None, loaded[1] if len(loaded) > 1 else None)

    def latest_scenario(self, principal: Principal) -> RunRecord | None:
        runs = self._runs(principal, "scenario", None)
        return self.run(principal, "scenario", runs[0].id) if runs else None

    def scenario_runs(self, principal: Principal) -> list[RunRecord]:
        return self._runs(principal, "scenario", None)

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
        """Run and store a what-if through ``chain_brain.services.scenarios.run_scenario``
        on the store as the principal may read it (``security.view_for``, as the API
        does); every disrupted firm or plant and region must be visible to it."""
        require(principal, Permission.RUN_SCENARIO)
        cid = self.chain_for(principal, chain)
        self.require_visible(principal, cid, (NodeLabel.PLANT, NodeLabel.FIRM), disrupted)
        plants = self.visible_data(principal, cid).node_table(NodeLabel.PLANT)
        countries = set(plants["country"].dropna().astype(str))
        for region in regions:
            if region not in countries:
                raise NotFoundError(f"No plant in region {region!r} is visible in chain {cid!r}.")
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
        view = view_for(self.store, principal, redacted=False)
        done: RunRecord = self.service("scenarios", "run_scenario")(view, spec)
        return self.run(principal, "scenario", done.id)

    def fleet(self, principal: Principal, chain: str | None) -> TwinFleet:
        """The twins of the plants of ``chain`` the principal may see: the stored fleet
        (``services.twins.load_fleet``) or, when no twins were created yet, one built from
        the surveyed capacities, cut to the visible plants."""
        cid = self.chain_for(principal, chain)

        def load() -> TwinFleet:
            data = self.visible_data(principal, cid)
            try:
                stored = self.service("twins", "load_fleet")(self.store)
            except ServiceUnavailableError:
                stored = None
            whole = stored if stored is not None else monitoring.build_fleet(data)
            return monitoring.fleet_of(whole, self.visible_ids(principal, cid, NodeLabel.PLANT))

        return self.cached(("fleet", principal, cid), load, ttl=30.0)


def _run_chain(run: RunRecord) -> str | None:
    """The chain a stored run was scoped to (``params.scope.chain`` or ``params.chain``)."""
    scope = run.params.get("scope")
    if isinstance(scope, dict) and scope.get("chain"):
        return str(scope["chain"])
    chain = run.params.get("chain")
    return str(chain) if chain else None
