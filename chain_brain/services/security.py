"""Who may do what: API keys, roles, tenants, rate limits, redaction and the audit log.

The API and any other front end go through these functions, so each access rule lives in
one place:

* **API keys** are random 32-byte tokens shown once; the keys file stores only a
  ``hashlib.scrypt`` digest with a per-key salt (RFC 7914, n=2**14, r=8, p=1), the key id,
  role and tenant binding.  Lookup is by the key id prefix (``cb_<id>_<secret>``), then a
  constant-time comparison of the digest.
* **Roles** (:class:`Role`) map to permissions (:data:`PERMISSIONS`): ``admin`` everything;
  ``analyst`` reads everything, runs analyses, scenarios and ingests, writes twin data;
  ``chain-lead`` reads and runs analyses and scenarios on its own chain only;
  ``viewer`` reads only.
* **Tenants**: a principal bound to a chain (a chain-lead always is) sees only that chain's
  part of the graph (:func:`scoped`), and supply volumes, shares and prices of relationships
  that neither its own firm nor its group (:func:`own_group`: firms with the same ultimate
  parent or linked to it by ``OWNS``, and the plants they operate) is a party to are removed
  (:func:`redact`), in graph reads, exports and the tables of stored runs
  (:func:`redact_run`).  The rule is the same for every reader without
  :attr:`Permission.READ_CONFIDENTIAL` (a viewer without a firm sees no volumes at all).
* **Rate limit**: one in-memory token bucket per key and per process
  (:class:`RateLimiter`): with ``N`` API worker processes a key may spend up to ``N``
  times its budget, as each worker keeps its own buckets.
* **Audit**: writes, ingests, analysis and scenario runs are stored as runs of kind
  ``"audit"`` (:func:`audit`); the record holds the key id, never the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from chain_brain.services.cache import cached_snapshot, view_cache
from chain_brain.store import GraphStore, RunRecord, Scope
from graph_schema.errors import ChainBrainError, NotFoundError, ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType

__all__ = [
    "visible_run",
    "Role",
    "Permission",
    "PERMISSIONS",
    "Principal",
    "ApiKeyRecord",
    "KeyRing",
    "create_api_key",
    "AuthenticationError",
    "PermissionDeniedError",
    "RateLimitedError",
    "PayloadTooLargeError",
    "RateLimiter",
    "require",
    "scoped",
    "redact",
    "own_group",
    "group_root",
    "principal_group",
    "redact_run",
    "redact_table",
    "audience",
    "EDGE_TABLES",
    "SCENARIO_TABLES",
    "redact_scenario_table",
    "chain_members",
    "chain_member_keys",
    "restrict",
    "visible",
    "PrincipalView",
    "view_for",
    "audit",
    "list_audit",
    "CONFIDENTIAL_PROPS",
    "AUDIT_KIND",
]

AUDIT_KIND = "audit"
KEY_PREFIX = "cb"
# Properties of SUPPLIES (and any relationship) that are confidential to the two parties.
CONFIDENTIAL_PROPS: frozenset[str] = frozenset(
    {"volume", "share", "price", "unit_price", "value", "amount"}
)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# scrypt is slow on purpose; secrets already verified against a stored digest are
# remembered as (key id, stored digest) -> sha256(secret), so each key pays scrypt once.
_VERIFIED: dict[tuple[str, str], str] = {}
_VERIFIED_LOCK = threading.Lock()


class AuthenticationError(ChainBrainError):
    """No API key, or a key that is unknown or revoked (HTTP 401)."""


class PermissionDeniedError(ChainBrainError):
    """The principal's role or tenant does not allow the action (HTTP 403)."""


class RateLimitedError(ChainBrainError):
    """The key spent its request budget (HTTP 429); ``retry_after`` in seconds."""

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLargeError(ChainBrainError):
    """A request body exceeds the configured limit (HTTP 413)."""


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    CHAIN_LEAD = "chain-lead"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # graph, chains, runs, jobs, twin state
    READ_CONFIDENTIAL = "read-confidential"  # volumes, shares, prices of every party
    RUN_ANALYSIS = "run-analysis"
    RUN_SCENARIO = "run-scenario"
    WRITE_TWIN = "write-twin"  # telemetry and events
    INGEST = "ingest"
    EXPORT = "export"
    MANAGE_KEYS = "manage-keys"
    READ_AUDIT = "read-audit"


_P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset(
        {
            _P.READ,
            _P.READ_CONFIDENTIAL,
            _P.RUN_ANALYSIS,
            _P.RUN_SCENARIO,
            _P.WRITE_TWIN,
            _P.INGEST,
            _P.EXPORT,
        }
    ),
    Role.CHAIN_LEAD: frozenset({_P.READ, _P.RUN_ANALYSIS, _P.RUN_SCENARIO, _P.EXPORT}),
    Role.VIEWER: frozenset({_P.READ}),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key id (never the key), role and tenant binding."""

    key_id: str
    role: Role
    tenant: str | None = None
    chain: str | None = None  # bound chain: sees only this chain
    firm: str | None = None  # its own firm: its relationships are not redacted

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    @property
    def is_bound(self) -> bool:
        return self.chain is not None

    @property
    def tenant_key(self) -> str | None:
        """The tenant runs and jobs of this principal are filed under (None: global)."""
        if self.tenant is not None:
            return self.tenant
        return f"chain:{self.chain}" if self.chain is not None else None

    def sees_tenant(self, tenant: str | None) -> bool:
        """Unbound principals see every tenant; bound ones only their own."""
        return not self.is_bound or tenant == self.tenant_key


def require(principal: Principal, permission: Permission) -> None:
    """Raise :class:`PermissionDeniedError` unless ``principal`` holds ``permission``."""
    if not principal.can(permission):
        raise PermissionDeniedError(
            f"Role {principal.role.value!r} (key {principal.key_id!r}) lacks permission "
            f"{permission.value!r}."
        )


# ---------------------------------------------------------------------------- keys


@dataclass
class ApiKeyRecord:
    """One stored key: id, role, binding and the scrypt digest of the secret."""

    key_id: str
    role: Role
    salt: str
    digest: str
    tenant: str | None = None
    chain: str | None = None
    firm: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    revoked: bool = False

    def principal(self) -> Principal:
        return Principal(self.key_id, self.role, self.tenant, self.chain, self.firm)


def _digest(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()  # type: ignore[arg-type]


class KeyRing:
    """The API keys of one keys file (JSON), loaded once and written atomically."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKeyRecord] = {}
        if self.path.exists():
            try:
                rows = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ValidationError(f"API keys file {self.path} is unreadable: {exc}") from exc
            for row in rows:
                rec = ApiKeyRecord(**{**row, "role": Role(row["role"])})
                self._keys[rec.key_id] = rec

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        rows = [{**asdict(r), "role": r.role.value} for r in self._keys.values()]
        tmp.write_text(json.dumps(rows, indent=1), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(self.path)

    def create(
        self,
        role: Role | str,
        tenant: str | None = None,
        *,
        chain: str | None = None,
        firm: str | None = None,
    ) -> tuple[ApiKeyRecord, str]:
        """Create a key; return its record and the plaintext key (shown only this once)."""
        try:
            role = Role(role)
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValidationError(f"Unknown role {role!r}; expected one of {known}.") from None
        if role is Role.CHAIN_LEAD and (chain is None or firm is None):
            raise ValidationError(
                f"A chain-lead key must be bound to a chain and a firm; got {chain=}, {firm=}."
            )
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        rec = ApiKeyRecord(key_id, role, salt.hex(), _digest(secret, salt), tenant, chain, firm)
        with self._lock:
            self._keys[key_id] = rec
            self._save()
        return rec, f"{KEY_PREFIX}_{key_id}_{secret}"

    def revoke(self, key_id: str) -> None:
        with self._lock:
            rec = self._keys.get(key_id)
            if rec is None:
                raise NotFoundError(f"No API key with id {key_id!r}.")
            rec.revoked = True
            self._save()

    def records(self) -> list[ApiKeyRecord]:
        with self._lock:  # keys may be created or revoked by another thread meanwhile
            return list(self._keys.values())

    def bound_chains(self, limit: int = 32) -> list[str]:
        """Chains bound to live (not revoked) keys, each once, oldest key first, at most
        ``limit``: the chains whose views are worth computing before anyone asks."""
        chains = [r.chain for r in self.records() if r.chain is not None and not r.revoked]
        return list(dict.fromkeys(chains))[:limit]

    def authenticate(self, presented: str | None) -> Principal:
        """The principal of a presented key; :class:`AuthenticationError` otherwise.

        The error message never repeats the presented key.
        """
        if not presented:
            raise AuthenticationError(
                "No API key given; send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
            )
        parts = presented.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            raise AuthenticationError("Malformed API key; expected the form 'cb_<id>_<secret>'.")
        key_id, secret = parts[1], parts[2]
        rec = self._keys.get(key_id)
        if rec is None or rec.revoked:
            raise AuthenticationError(f"Unknown or revoked API key id {key_id!r}.")
        fast = hashlib.sha256(secret.encode()).hexdigest()
        with _VERIFIED_LOCK:
            cached = _VERIFIED.get((key_id, rec.digest))
        if cached is not None and hmac.compare_digest(cached, fast):
            return rec.principal()
        if not hmac.compare_digest(_digest(secret, bytes.fromhex(rec.salt)), rec.digest):
            raise AuthenticationError(f"Wrong secret for API key id {key_id!r}.")
        with _VERIFIED_LOCK:
            _VERIFIED[(key_id, rec.digest)] = fast
        return rec.principal()


def create_api_key(
    keys_file: str | Path,
    role: Role | str,
    tenant: str | None = None,
    *,
    chain: str | None = None,
    firm: str | None = None,
) -> str:
    """Create an API key in ``keys_file`` and return the plaintext key (shown once).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "keys.json"
    >>> key = create_api_key(path, "viewer")
    >>> key.startswith("cb_") and key not in path.read_text()
    True
    """
    _, plaintext = KeyRing(keys_file).create(role, tenant, chain=chain, firm=firm)
    return plaintext


# ---------------------------------------------------------------------------- rate limit


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to ``burst``."""

    def __init__(self, per_minute: int, *, burst: int | None = None) -> None:
        if per_minute < 1:
            raise ValidationError(f"rate limit must be >= 1 per minute, got {per_minute}.")
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> None:
        """Spend one token of ``key_id``; :class:`RateLimitedError` when none is left."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                raise RateLimitedError(
                    f"Rate limit of {self.rate * 60:.0f} requests/minute exceeded for key "
                    f"{key_id!r}; retry in {wait:.1f} s.",
                    retry_after=wait,
                )
            self._buckets[key_id] = (tokens - 1.0, now)


# ---------------------------------------------------------------------------- tenants


def scoped(principal: Principal, scope: Scope | None = None) -> Scope:
    """The scope ``principal`` may read: ``scope`` intersected with its bound chain.

    A bound principal asking for another chain gets :class:`PermissionDeniedError`.
    """
    scope = scope or Scope()
    if principal.chain is None:
        return scope
    if scope.chain is not None and scope.chain != principal.chain:
        raise PermissionDeniedError(
            f"Key {principal.key_id!r} is bound to chain {principal.chain!r}; "
            f"chain {scope.chain!r} is not visible to it."
        )
    return replace(scope, chain=principal.chain)


_CONTEXT = (NodeLabel.REGION, NodeLabel.COUNTRY, NodeLabel.INDUSTRY)


def chain_members(store: GraphStore, principal: Principal) -> frozenset[tuple[str, str]] | None:
    """``(label, id)`` of every node a bound principal may see; None when unbound.

    These are the chain, its segments, their members (products, firms, plants; see
    :func:`chain_brain.services.chains.segment_members`) and the context nodes (regions,
    countries, industries) of the chain's snapshot.  Trading partners outside the chain
    are not members.  Cached per chain until the graph changes.
    """
    if principal.chain is None:
        return None
    return chain_member_keys(store, principal.chain)


def chain_member_keys(store: GraphStore, chain: str) -> frozenset[tuple[str, str]]:
    """``(label, id)`` of the nodes of ``chain`` (see :func:`chain_members`), cached."""
    return view_cache().get(store, "chain_members", chain, lambda: _chain_members(store, chain))


def _chain_members(store: GraphStore, chain: str) -> frozenset[tuple[str, str]]:
    from chain_brain.services.chains import segment_members

    data = cached_snapshot(store, Scope(chain=chain))
    members = segment_members(data, chain)
    keep = {(str(lab), str(i)) for lab, i in zip(members["label"], members["id"], strict=True)}
    keep.add((NodeLabel.CHAIN.value, chain))
    segs = data.node_table(NodeLabel.CHAIN_SEGMENT)
    keep |= {
        (NodeLabel.CHAIN_SEGMENT.value, str(i)) for i in segs.loc[segs["chain"] == chain, "id"]
    }
    for label in _CONTEXT:
        keep |= {(label.value, str(i)) for i in data.node_table(label)["id"]}
    return frozenset(keep)


def restrict(data: GraphData, members: frozenset[tuple[str, str]] | None) -> GraphData:
    """Keep only member nodes and the relationships between them (``None``: everything)."""
    if members is None:
        return data
    by_label: dict[str, set[str]] = {}
    for lab, i in members:
        by_label.setdefault(lab, set()).add(i)
    nodes = []
    for nf in data.nodes:
        ids = by_label.get(nf.label.value, set())
        nodes.append(
            NodeFrame(nf.label, nf.data[nf.data["id"].astype(str).isin(ids)].reset_index(drop=True))
        )
    rels = []
    for rf in data.rels:
        src = by_label.get(rf.src_label.value, set())
        dst = by_label.get(rf.dst_label.value, set())
        ok = rf.data["src"].astype(str).isin(src) & rf.data["dst"].astype(str).isin(dst)
        rels.append(
            RelFrame(
                rf.type, rf.src_label, rf.dst_label, rf.data[ok.to_numpy()].reset_index(drop=True)
            )
        )
    return GraphData(nodes, rels)


class PrincipalView:
    """A store as one principal may read it: every method is the store's, except that
    ``snapshot`` is cut to the principal's chain (and redacted when ``redacted``).

    Services that read snapshots themselves (analysis, scenarios, exports) are handed
    this view, so a chain-lead's work never reads another chain's firms.
    """

    def __init__(self, store: GraphStore, principal: Principal, *, redacted: bool = True) -> None:
        self._store, self._principal, self._redacted = store, principal, redacted
        self.uri = store.uri

    def snapshot(self, scope: Scope | None = None) -> GraphData:
        data = self._store.snapshot(scoped(self._principal, scope))
        data = restrict(data, chain_members(self._store, self._principal))
        return redact(self._principal, data, store=self._store) if self._redacted else data

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def view_for(store: GraphStore, principal: Principal, *, redacted: bool = True) -> GraphStore:
    """``store`` itself for unbound principals allowed to read everything, else a
    :class:`PrincipalView`."""
    if principal.chain is None and (not redacted or principal.can(Permission.READ_CONFIDENTIAL)):
        return store
    return cast(GraphStore, PrincipalView(store, principal, redacted=redacted))


def visible(store: GraphStore, principal: Principal, scope: Scope | None = None) -> GraphData:
    """The snapshot of ``scope`` as ``principal`` may read it: cut to its chain, redacted."""
    data = store.snapshot(scoped(principal, scope))
    return redact(principal, restrict(data, chain_members(store, principal)), store=store)


def group_root(store: GraphStore, firm: str) -> str:
    """The ultimate parent of ``firm`` (its ``parent`` property), or ``firm`` itself.

    Cached until the graph changes; an unknown firm is its own root.
    """

    def read() -> str:
        try:
            parent = store.get_node(NodeLabel.FIRM, firm).get("parent")
        except NotFoundError:
            return firm
        return firm if parent is None or pd.isna(parent) or parent == "" else str(parent)

    return view_cache().get(store, "group_root", firm, read)


def own_group(data: GraphData, firm: str | None, *, root: str | None = None) -> frozenset[str]:
    """Keys ``"Label:id"`` of the nodes whose relationships ``firm`` may read in full.

    The group of a firm is the firm, its ultimate parent ``root`` (read from ``data`` when
    not given), every firm of ``data`` with that parent, the firms linked to any of them by
    ``OWNS`` (either way), and the plants any of these operate (``Plant.operator`` or an
    ``OPERATES`` relationship).  Empty when ``firm`` is None.

    Examples
    --------
    >>> from chain_brain.graph.samples import toy_chain
    >>> sorted(own_group(toy_chain(), "S1"))
    ['Firm:S1', 'Plant:S1P']
    """
    if firm is None:
        return frozenset()
    firms_t = data.node_table(NodeLabel.FIRM)
    parent = None
    if "parent" in firms_t.columns:
        parent = firms_t.set_index(firms_t["id"].astype(str))["parent"]
        parent = parent[~parent.index.duplicated(keep="last")]
    if root is None:
        got = parent.get(firm) if parent is not None else None
        root = firm if got is None or pd.isna(got) else str(got)
    group = {firm, root}
    if parent is not None:
        group |= set(parent.index[parent.astype(object).isin([firm, root]).to_numpy()])
    for rf in data.rel_frames(RelType.OWNS):
        src, dst = rf.data["src"].astype(str), rf.data["dst"].astype(str)
        group |= set(dst[src.isin(group)]) | set(src[dst.isin(group)])
    plants: set[str] = set()
    plants_t = data.node_table(NodeLabel.PLANT)
    if "operator" in plants_t:
        plants |= set(
            plants_t.loc[plants_t["operator"].astype(object).isin(group), "id"].astype(str)
        )
    for rf in data.rel_frames(RelType.OPERATES):
        plants |= set(rf.data.loc[rf.data["src"].astype(str).isin(group), "dst"].astype(str))
    return frozenset(
        {f"{NodeLabel.FIRM.value}:{i}" for i in group}
        | {f"{NodeLabel.PLANT.value}:{i}" for i in plants}
    )


def principal_group(store: GraphStore, principal: Principal) -> frozenset[str]:
    """:func:`own_group` of the principal's firm, read from its chain (bound principals)
    or from the firm's supply neighbourhood; cached until the graph changes."""
    firm = principal.firm
    if firm is None:
        return frozenset()
    scope = Scope(chain=principal.chain) if principal.chain is not None else Scope(focus=firm)

    def compute() -> frozenset[str]:
        try:
            data = cached_snapshot(store, scope)
        except NotFoundError:  # a firm with no node: only itself
            return frozenset({f"{NodeLabel.FIRM.value}:{firm}"})
        return own_group(data, firm, root=group_root(store, firm))

    return view_cache().get(store, "principal_group", (firm, principal.chain), compute)


def audience(principal: Principal) -> tuple[str | None, str | None, bool]:
    """What a redacted view depends on: (bound chain, own firm, reads confidential).

    Two principals with the same audience see the same graph, so views served to them
    can be cached under it.
    """
    confidential = principal.can(Permission.READ_CONFIDENTIAL)
    return (principal.chain, None if confidential else principal.firm, confidential)


def redact(principal: Principal, data: GraphData, *, store: GraphStore | None = None) -> GraphData:
    """Remove confidential relationship properties ``principal`` may not read.

    Principals with :attr:`Permission.READ_CONFIDENTIAL` see everything.  Others see
    volumes, shares and prices only on relationships their own firm's group
    (:func:`own_group` of ``data``; with ``store`` also :func:`principal_group`, and the
    firm's parent is read from the store) is a party to.  The values are set to null, the
    relationships stay.
    """
    if principal.can(Permission.READ_CONFIDENTIAL):
        return data
    firm = principal.firm
    root = group_root(store, firm) if store is not None and firm is not None else None
    own = own_group(data, firm, root=root)
    if store is not None:
        own |= principal_group(store, principal)
    parties = (NodeLabel.FIRM, NodeLabel.PLANT)
    rels: list[RelFrame] = []
    for rf in data.rels:
        cols = [c for c in rf.data.columns if c in CONFIDENTIAL_PROPS]
        if not cols or rf.type is RelType.REQUIRES:  # bill of materials is not confidential
            rels.append(rf)
            continue
        d = rf.data.copy()
        mine = pd.Series(False, index=d.index)
        if rf.src_label in parties:
            mine |= (rf.src_label.value + ":" + d["src"].astype(str)).isin(own)
        if rf.dst_label in parties:
            mine |= (rf.dst_label.value + ":" + d["dst"].astype(str)).isin(own)
        for c in cols:
            d[c] = d[c].astype(object).where(mine.to_numpy(), None)
        rels.append(RelFrame(rf.type, rf.src_label, rf.dst_label, d))
    return GraphData(list(data.nodes), rels)


#: Result tables with one row per supply relationship: the columns naming its two parties
#: (``"Label:id"`` keys).  Their confidential columns and the volume in their ``reason``
#: are withheld from readers who are not a party (:func:`redact_table`).
EDGE_TABLES: dict[str, tuple[str, str]] = {
    "sole_sources": ("customer_key", "supplier_key"),
    "bridges": ("src_key", "dst_key"),
}
_VOLUME_TEXT = re.compile(r"\b(volume|share|price)\s+[-+0-9.eE]+(?:%)?", re.IGNORECASE)
WITHHELD = "withheld"


def _withhold_text(text: object) -> object:
    if not isinstance(text, str):
        return text
    return _VOLUME_TEXT.sub(lambda m: f"{m.group(1)} {WITHHELD}", text)


def redact_table(
    principal: Principal, name: str, table: pd.DataFrame, own: frozenset[str]
) -> pd.DataFrame:
    """``table`` (a result table called ``name``) as ``principal`` may read it.

    In the tables of :data:`EDGE_TABLES`, rows whose two parties are both outside ``own``
    (see :func:`principal_group`) lose their confidential columns (set to null) and the
    figures after "volume", "share" or "price" in their ``reason``.  Other tables hold
    aggregates and are returned as they are.
    """
    if principal.can(Permission.READ_CONFIDENTIAL) or name not in EDGE_TABLES or table.empty:
        return table
    a, b = EDGE_TABLES[name]
    if a not in table.columns or b not in table.columns:
        return table
    mine = (table[a].astype(str).isin(own) | table[b].astype(str).isin(own)).to_numpy()
    if mine.all():
        return table
    out = table.copy()
    for c in (c for c in out.columns if c in CONFIDENTIAL_PROPS):
        out[c] = out[c].astype(object).where(mine, None)
    if "reason" in out.columns:
        out["reason"] = out["reason"].where(mine, out["reason"].map(_withhold_text))
    return out


#: Scenario result tables: the columns naming the firms or plants (plain ids) a row is
#: about.  Their figures (capacities, baseline outputs, demands, planned and lost
#: quantities) are computed from the supply volumes of the chain, so for readers who are not
#: a party every float column of the row is withheld (:func:`redact_scenario_table`).
SCENARIO_TABLES: dict[str, tuple[str, ...]] = {
    "plan": ("source", "sink"),
    "plan_unmet": ("sink",),
    "impact": ("node",),
    "disrupted": ("id",),
    "nodes": ("node",),
}
SCENARIO_KIND = "scenario"


def redact_scenario_table(
    principal: Principal, name: str, table: pd.DataFrame, own: frozenset[str]
) -> pd.DataFrame:
    """A scenario result table as ``principal`` may read it: rows none of whose parties
    (:data:`SCENARIO_TABLES`) is in ``own`` keep their ids, labels, flags and periods
    but lose every float figure (set to null).  Unknown tables are withheld whole (no
    rows) rather than shown unredacted."""
    if principal.can(Permission.READ_CONFIDENTIAL) or table.empty:
        return table
    parties = SCENARIO_TABLES.get(name)
    if parties is None:
        return table.iloc[0:0]
    own_ids = {k.split(":", 1)[1] for k in own}
    mine = np.zeros(len(table), dtype=bool)
    for col in parties:
        if col in table.columns:
            mine |= table[col].astype(str).isin(own_ids).to_numpy()
    if mine.all():
        return table
    out = table.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].astype(object).where(mine, None)
    return out


def redact_run(principal: Principal, run: RunRecord, own: frozenset[str]) -> RunRecord:
    """A stored run as ``principal`` may read it: analysis tables through
    :func:`redact_table` (the ``findings`` table's reasons for withheld rows are withheld
    too), scenario tables through :func:`redact_scenario_table`."""
    if principal.can(Permission.READ_CONFIDENTIAL):
        return run
    if run.kind == SCENARIO_KIND:
        return replace(
            run,
            tables={n: redact_scenario_table(principal, n, t, own) for n, t in run.tables.items()},
        )
    if not any(t in run.tables for t in EDGE_TABLES):
        return run
    tables = {name: redact_table(principal, name, t, own) for name, t in run.tables.items()}
    findings = tables.get("findings")
    if findings is not None and {"table", "finding_id", "reason"} <= set(findings.columns):
        hidden: set[str] = set()
        for name in EDGE_TABLES:
            before, after = run.tables.get(name), tables.get(name)
            if before is not None and after is not None and "finding_id" in after.columns:
                changed = before["reason"].astype(str) != after["reason"].astype(str)
                hidden |= set(after.loc[changed.to_numpy(), "finding_id"].astype(str))
        withhold = findings["finding_id"].astype(str).isin(hidden).to_numpy()
        if withhold.any():
            f = findings.copy()
            f["reason"] = f["reason"].where(~withhold, f["reason"].map(_withhold_text))
            tables["findings"] = f
    return replace(run, tables=tables)


# ---------------------------------------------------------------------------- audit


def audit(
    store: GraphStore,
    principal: Principal,
    action: str,
    target: str,
    *,
    outcome: str = "accepted",
    detail: dict[str, object] | None = None,
) -> str:
    """Record one write, ingest or run as a run of kind ``"audit"``; return its id."""
    record_id = uuid.uuid4().hex
    store.save_run(
        RunRecord(
            kind=AUDIT_KIND,
            id=record_id,
            params={
                "action": action,
                "target": target,
                "key_id": principal.key_id,
                "role": principal.role.value,
                "chain": principal.chain,
            },
            summary={"outcome": outcome, **(detail or {})},
            tenant=principal.tenant,
        )
    )
    return record_id


def list_audit(store: GraphStore) -> list[RunRecord]:
    """Audit records, newest first."""
    return store.list_runs(AUDIT_KIND)


def visible_run(store: GraphStore, principal: Principal, kind: str, run_id: str) -> RunRecord:
    """One stored run the principal's tenant may read (404 otherwise, without leaking it),
    its tables redacted for it (:func:`redact_run`)."""
    run = store.load_run(kind, run_id)
    if not principal.sees_tenant(run.tenant):
        raise NotFoundError(f"No {kind} run with id {run_id!r}.")
    if principal.can(Permission.READ_CONFIDENTIAL):
        return run
    return redact_run(principal, run, principal_group(store, principal))
