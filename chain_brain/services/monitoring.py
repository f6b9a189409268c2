"""Monitoring views shared by the dashboards and the API: regional distribution, the
chain-lead's supplier view (tiers, exposure, substitutes, supply-demand matching), the
plant-twin fleet overview and the alerts.

They are pure functions of a snapshot (:class:`GraphData`), a twin fleet or stored runs;
none of them queries the store row by row.

Aggregates, never node-by-node lists, are what they return for big graphs: tiers of a
supply neighbourhood, capacity per country or region, spare capacity per product.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chain_brain.services.twins import plant_process_records
from chain_brain.store import RunRecord
from chain_brain.twins import (
    FleetFrames,
    TwinFleet,
    fleet_from_plant_records,
    forecast_capacity,
)
from graph_schema.frames import GraphData
from graph_schema.model import NodeLabel, RelType

__all__ = [
    "SupplierView",
    "rel_table",
    "plant_capacity",
    "concentration",
    "hhi",
    "supplier_tiers",
    "supplier_view",
    "lead_firm_options",
    "plant_process_records",
    "build_fleet",
    "fleet_of",
    "fleet_overview",
    "plant_forecast",
    "ttr_alerts",
    "capacity_drop_alerts",
    "new_chokepoints",
]

_SUPPLY = (NodeLabel.FIRM.value, NodeLabel.PLANT.value)


def rel_table(data: GraphData, rel_type: RelType) -> pd.DataFrame:
    """All relationships of one type with ``src_label`` / ``dst_label`` columns."""
    return data.rel_table(rel_type)


def _name(table: pd.DataFrame) -> pd.Series:
    none = pd.Series(None, index=table.index, dtype=object)
    name = table["name_en"].astype(object) if "name_en" in table.columns else none
    if "name" in table.columns:
        name = name.fillna(table["name"].astype(object))
    return name.fillna(table["id"].astype(object)).astype(str)


# ---------------------------------------------------------------------------- regions


def plant_capacity(data: GraphData) -> pd.DataFrame:
    """One row per plant: id, name, lat, lon, country, region, status, operator, capacity.

    ``capacity`` is the sum of the plant's ``PRODUCES`` capacities that name a process
    (kt per year for the GEM steel tracker); product rows without a process only say that
    the plant makes the product and carry no capacity.
    """
    plants = data.node_table(NodeLabel.PLANT)
    cols = ["id", "name", "lat", "lon", "country", "region", "status", "operator", "capacity"]
    if plants.empty:
        return pd.DataFrame(columns=cols)
    out = plants.reindex(columns=["id", "lat", "lon", "country", "region", "status"]).copy()
    out["name"] = _name(plants)
    prod = rel_table(data, RelType.PRODUCES)
    if "capacity" in prod.columns and len(prod):
        cap = pd.to_numeric(prod["capacity"], errors="coerce")
        cap = cap.where(prod.get("process", pd.Series(None, index=prod.index)).notna())
        per_plant = cap.groupby(prod["src"]).sum(min_count=1)
    else:
        per_plant = pd.Series(dtype=float)
    out["capacity"] = out["id"].map(per_plant).astype(float)
    ops = rel_table(data, RelType.OPERATES)
    firm_of = (
        ops.drop_duplicates("dst").set_index("dst")["src"] if len(ops) else pd.Series(dtype=str)
    )
    out["operator"] = out["id"].map(firm_of)
    for c in ("lat", "lon"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out[cols].reset_index(drop=True)


def hhi(shares: pd.Series | np.ndarray) -> float:
    """Herfindahl-Hirschman index of shares summing to one (0 = dispersed, 1 = one holder).

    Examples
    --------
    >>> hhi(np.array([0.5, 0.5]))
    0.5
    """
    s = np.asarray(shares, dtype=float)
    s = s[np.isfinite(s)]
    return float(np.sum(s * s)) if s.size else float("nan")


def concentration(frame: pd.DataFrame, by: str, value: str = "capacity") -> pd.DataFrame:
    """``value`` summed per ``by`` with each key's share, largest first: columns key, value, share.

    Examples
    --------
    >>> concentration(pd.DataFrame({"c": ["a", "b", "a"], "capacity": [1.0, 2.0, 1.0]}), "c")
      key  capacity  share
    0   a       2.0    0.5
    1   b       2.0    0.5
    """
    if frame.empty or by not in frame.columns:
        return pd.DataFrame(columns=["key", value, "share"])
    v = pd.to_numeric(frame[value], errors="coerce").fillna(0.0)
    keys = frame[by].astype(object).where(frame[by].notna(), "(unknown)").astype(str)
    g = v.groupby(keys).sum()
    g = g[g > 0].sort_values(ascending=False, kind="stable")
    total = float(g.sum())
    out = pd.DataFrame({"key": g.index.astype(str), value: g.to_numpy(dtype=float)})
    out["share"] = out[value] / total if total > 0 else np.nan
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------- chain lead


@dataclass
class SupplierView:
    """A firm's supply base, aggregated for a chain lead (链长).

    ``tiers``: tier, country, suppliers (tier 1 = direct suppliers).  ``exposure``: country,
    suppliers, share of all suppliers, ``hhi`` over countries.  ``at_risk``: inputs with one
    known supplier, one supplier country, or none at all.  ``substitutes``: firms that supply
    an at-risk input to others.  ``matching``: firms making an input the focus firm lacks,
    with capacity not yet committed in known supply (供需对接).
    """

    firm: str
    name: str
    n_suppliers: int
    n_tiers: int
    tiers: pd.DataFrame
    exposure: pd.DataFrame
    hhi: float
    at_risk: pd.DataFrame
    substitutes: pd.DataFrame
    matching: pd.DataFrame


def _operators(data: GraphData) -> pd.DataFrame:
    ops = rel_table(data, RelType.OPERATES)
    return ops[["src", "dst"]].rename(columns={"src": "firm", "dst": "plant"})


def supplier_tiers(data: GraphData, firm: str, *, max_tiers: int = 3) -> pd.DataFrame:
    """Suppliers of ``firm`` (and the plants it operates) by tier: columns id, label, tier.

    Breadth-first upstream over ``SUPPLIES``; a firm and its plants form one supply entity,
    so a plant's supplier is its operator's supplier.  Each node keeps its nearest tier.
    """
    ops = _operators(data)
    group: dict[str, set[str]] = {}
    for f, p in zip(ops["firm"], ops["plant"], strict=True):
        group.setdefault(f, {f}).add(p)
        group.setdefault(p, {p}).add(f)
    sup = rel_table(data, RelType.SUPPLIES)
    up: dict[str, list[str]] = {}
    for s, d in zip(sup["src"].astype(str), sup["dst"].astype(str), strict=True):
        up.setdefault(d, []).append(s)
    label = {str(i): NodeLabel.FIRM.value for i in data.node_table(NodeLabel.FIRM)["id"]}
    label |= {str(i): NodeLabel.PLANT.value for i in data.node_table(NodeLabel.PLANT)["id"]}
    start = group.get(firm, {firm})
    tier = dict.fromkeys(start, 0)
    queue = deque(start)
    while queue:
        node = queue.popleft()
        if tier[node] >= max_tiers:
            continue
        for s in up.get(node, ()):
            for member in group.get(s, {s}):
                if member not in tier:
                    tier[member] = tier[node] + 1
                    queue.append(member)
    rows = [(n, label.get(n, NodeLabel.FIRM.value), t) for n, t in tier.items() if t > 0]
    return pd.DataFrame(rows, columns=["id", "label", "tier"])


def lead_firm_options(data: GraphData, *, limit: int = 200) -> pd.DataFrame:
    """Firms worth a chain-lead view: most suppliers plus plants operated first; id, name."""
    firms = data.node_table(NodeLabel.FIRM)
    sup = rel_table(data, RelType.SUPPLIES)
    ops = _operators(data)
    buyers = (
        sup["dst"].map(ops.drop_duplicates("plant").set_index("plant")["firm"]).fillna(sup["dst"])
    )
    weight = buyers.value_counts().add(ops["firm"].value_counts(), fill_value=0)
    out = pd.DataFrame({"id": firms["id"].astype(str), "name": _name(firms)})
    out["weight"] = out["id"].map(weight).fillna(0)
    out = out[out["weight"] > 0].sort_values(["weight", "id"], ascending=[False, True])
    return out.head(limit)[["id", "name"]].reset_index(drop=True)


def _firm_country(data: GraphData) -> pd.Series:
    firms = data.node_table(NodeLabel.FIRM)
    plants = data.node_table(NodeLabel.PLANT)
    country = (
        firms.set_index("id")["country"] if "country" in firms.columns else pd.Series(dtype=object)
    )
    loc = rel_table(data, RelType.LOCATED_IN)
    loc = loc[loc["dst_label"] == NodeLabel.COUNTRY.value].drop_duplicates("src")
    by_loc = loc.set_index("src")["dst"]
    pc = (
        plants.set_index("id")["country"]
        if "country" in plants.columns
        else pd.Series(dtype=object)
    )
    out = pd.concat([by_loc, country.dropna(), pc.dropna()])
    return out[~out.index.duplicated()]


def supplier_view(data: GraphData, firm: str, *, max_tiers: int = 3) -> SupplierView:
    """Tiers, exposure, at-risk inputs, substitutes and supply-demand matches of ``firm``.

    ``data`` should hold the firm's upstream neighbourhood *and* the candidate suppliers
    (the chain snapshot, or the whole graph); only aggregates are returned.
    """
    firms = data.node_table(NodeLabel.FIRM)
    names = pd.Series(_name(firms).to_numpy(), index=firms["id"].astype(str))
    country = _firm_country(data)
    tiers = supplier_tiers(data, firm, max_tiers=max_tiers)
    tiers["country"] = tiers["id"].map(country).fillna("(unknown)")
    firm_tiers = tiers[tiers["label"] == NodeLabel.FIRM.value]
    per_tier = (
        firm_tiers.groupby(["tier", "country"]).size().rename("suppliers").reset_index()
        if len(firm_tiers)
        else pd.DataFrame(columns=["tier", "country", "suppliers"])
    )
    exposure = concentration(firm_tiers.assign(n=1.0), "country", "n").rename(
        columns={"key": "country", "n": "suppliers"}
    )
    conc = hhi(exposure["share"]) if len(exposure) else float("nan")

    ops = _operators(data)
    own = {firm} | set(ops.loc[ops["firm"] == firm, "plant"].astype(str))
    sup = rel_table(data, RelType.SUPPLIES)
    if "product" not in sup.columns:
        sup["product"] = None
    sup["product"] = sup["product"].astype(object).where(sup["product"].notna(), "(unspecified)")
    sup["supplier"] = (
        sup["src"].map(ops.drop_duplicates("plant").set_index("plant")["firm"]).fillna(sup["src"])
    )
    sup["supplier_country"] = sup["supplier"].map(country).fillna("(unknown)")
    inbound = sup[sup["dst"].astype(str).isin(own)]
    produces = rel_table(data, RelType.PRODUCES)
    made = set(produces.loc[produces["src"].astype(str).isin(own), "dst"].astype(str))
    req = rel_table(data, RelType.REQUIRES)
    needed = set(req.loc[req["src"].astype(str).isin(made), "dst"].astype(str)) - made
    received = inbound.groupby("product").agg(
        suppliers=("supplier", "nunique"), countries=("supplier_country", "nunique")
    )
    products = sorted(set(received.index.astype(str)) | needed)
    rows = []
    for p in products:
        n_sup = int(received["suppliers"].get(p, 0))
        n_cty = int(received["countries"].get(p, 0))
        if n_sup == 0:
            reason = "no known supplier"
        elif n_sup == 1:
            reason = "single supplier"
        elif n_cty == 1:
            reason = "single supplier country"
        else:
            continue
        rows.append((p, n_sup, n_cty, reason))
    at_risk = pd.DataFrame(rows, columns=["product", "suppliers", "countries", "reason"])
    risky = set(at_risk["product"]) - {"(unspecified)"}

    current = set(inbound["supplier"].astype(str))
    others = sup[sup["product"].isin(risky) & ~sup["supplier"].isin(current | {firm})]
    substitutes = (
        others.groupby(["product", "supplier"])
        .agg(customers=("dst", "nunique"), country=("supplier_country", "first"))
        .reset_index()
        .rename(columns={"supplier": "firm"})
        .sort_values(["product", "customers"], ascending=[True, False])
    )
    substitutes.insert(2, "name", substitutes["firm"].map(names))

    lacking = risky | needed
    prod = produces[produces["dst"].astype(str).isin(lacking)].copy()
    prod["capacity"] = pd.to_numeric(prod.get("capacity"), errors="coerce")
    prod["firm"] = (
        prod["src"].map(ops.drop_duplicates("plant").set_index("plant")["firm"]).fillna(prod["src"])
    )
    prod = prod[~prod["firm"].isin({firm}) & prod["capacity"].notna()]
    cap = prod.groupby(["dst", "firm"])["capacity"].sum().rename("capacity")
    vol = pd.to_numeric(sup.get("volume"), errors="coerce") if "volume" in sup.columns else None
    committed = (
        sup.assign(v=vol).groupby(["product", "supplier"])["v"].sum()
        if vol is not None
        else pd.Series(dtype=float)
    )
    matching = cap.reset_index().rename(columns={"dst": "product"})
    matching["committed"] = [
        float(committed.get((p, f), 0.0))
        for p, f in zip(matching["product"], matching["firm"], strict=True)
    ]
    matching["spare"] = matching["capacity"] - matching["committed"]
    matching = matching[matching["spare"] > 0]
    matching.insert(2, "name", matching["firm"].map(names))
    matching["country"] = matching["firm"].map(country)
    matching = matching.sort_values(["product", "spare"], ascending=[True, False])
    matching = matching.groupby("product", group_keys=False).head(10).reset_index(drop=True)
    return SupplierView(
        firm=firm,
        name=str(names.get(firm, firm)),
        n_suppliers=int(firm_tiers["id"].nunique()),
        n_tiers=int(tiers["tier"].max()) if len(tiers) else 0,
        tiers=per_tier,
        exposure=exposure,
        hhi=conc,
        at_risk=at_risk,
        substitutes=substitutes.reset_index(drop=True),
        matching=matching,
    )


# ---------------------------------------------------------------------------- twins


def build_fleet(data: GraphData) -> TwinFleet:
    """A twin fleet of every plant with surveyed process capacities."""
    return fleet_from_plant_records(plant_process_records(data))


def fleet_of(fleet: TwinFleet, plant_ids: Iterable[str]) -> TwinFleet:
    """The twins of ``plant_ids`` only: their units, history and observations (the fleet
    itself when it holds no other plant)."""
    keep = {str(p) for p in plant_ids}
    if set(fleet.plant_ids) <= keep:
        return fleet
    frames = fleet.to_frames()
    state = frames.state[frames.state["plant_id"].astype(str).isin(keep)]
    history = frames.history[frames.history["plant_id"].astype(str).isin(keep)]
    return TwinFleet.from_frames(
        FleetFrames(state=state.reset_index(drop=True), history=history.reset_index(drop=True)),
        obs_capacity=fleet.obs_capacity,
    )


def fleet_overview(fleet: TwinFleet, data: GraphData) -> pd.DataFrame:
    """Per plant: plant_id, name, country, units, running/idle/down units, nameplate
    (t/week), utilisation (mean available share over the last observations; NaN without
    telemetry)."""
    state = fleet.to_frames().state
    state = state.assign(
        running=(state["state"] == 0).astype(int),
        idle=(state["state"] == 1).astype(int),
        down=(state["state"] == 2).astype(int),
    )
    g = state.groupby("plant_id").agg(
        units=("unit_id", "size"),
        running=("running", "sum"),
        idle=("idle", "sum"),
        down=("down", "sum"),
        nameplate_t_week=("nameplate_per_week", "sum"),
    )
    obs = fleet.observations()
    if len(obs) and {"availability", "performance"} <= set(obs.columns):
        util = (obs["availability"] * obs["performance"]).groupby(obs["plant_id"]).mean()
    else:
        util = pd.Series(dtype=float)
    g["utilisation"] = g.index.map(util).astype(float)
    plants = data.node_table(NodeLabel.PLANT)
    names = pd.Series(_name(plants).to_numpy(), index=plants["id"].astype(str))
    out = g.reset_index()
    out.insert(1, "name", out["plant_id"].map(names))
    out.insert(2, "country", out["plant_id"].map(plants.set_index("id")["country"]))
    return out.sort_values("nameplate_t_week", ascending=False).reset_index(drop=True)


def plant_forecast(fleet: TwinFleet, plant_id: str, *, horizon_weeks: int = 12) -> pd.DataFrame:
    """Weekly capacity P10/P50/P90 and nameplate of one plant, summed over its products:
    columns week, week_start, p10, p50, p90, nameplate, n_samples."""
    sub = TwinFleet(fleet.to_frames().state.query("plant_id == @plant_id"))
    table = forecast_capacity(sub, horizon_weeks=horizon_weeks).table
    return (
        table.groupby(["week", "week_start"], as_index=False)
        .agg(
            p10=("p10", lambda v: v.sum(min_count=len(v))),
            p50=("p50", lambda v: v.sum(min_count=len(v))),
            p90=("p90", lambda v: v.sum(min_count=len(v))),
            nameplate=("nameplate", "sum"),
            n_samples=("n_samples", "min"),
        )
        .sort_values("week")
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------------------- alerts


def ttr_alerts(run: RunRecord | None) -> pd.DataFrame:
    """Nodes of a scenario run whose time-to-recover exceeds their time-to-survive.

    With a per-node sweep (table ``nodes``: node, ttr, tts, loss) every such node, largest
    gap first; without one, the disrupted set itself when the run's ``ttr_weeks`` exceeds its
    ``tts_weeks``.
    """
    cols = ["node", "ttr", "tts", "loss", "gap"]
    if run is None:
        return pd.DataFrame(columns=cols)
    nodes = run.tables.get("nodes")
    if nodes is not None and len(nodes) and {"ttr", "tts"} <= set(nodes.columns):
        ttr = pd.to_numeric(nodes["ttr"], errors="coerce")
        tts = pd.to_numeric(nodes["tts"], errors="coerce")
        hit = nodes[(ttr > tts).to_numpy()].copy()
        hit["gap"] = ttr[hit.index] - tts[hit.index]
        return hit.sort_values("gap", ascending=False).reset_index(drop=True)
    ttr_w, tts_w = run.summary.get("ttr_weeks"), run.summary.get("tts_weeks")
    if isinstance(ttr_w, int | float) and isinstance(tts_w, int | float) and ttr_w > tts_w:
        picked = run.params.get("disrupted") or run.params.get("regions") or []
        node = (
            ", ".join(str(x) for x in picked) if isinstance(picked, list | tuple) else str(picked)
        )
        loss = run.summary.get("loss")
        return pd.DataFrame(
            [[node, float(ttr_w), float(tts_w), loss, float(ttr_w) - float(tts_w)]], columns=cols
        )
    return pd.DataFrame(columns=cols)


def capacity_drop_alerts(fleet: TwinFleet, *, threshold: float = 0.2) -> pd.DataFrame:
    """Plants whose next-week P50 capacity is more than ``threshold`` below nameplate, and
    plants with units down: plant_id, nameplate, p50, drop, units_down."""
    table = forecast_capacity(fleet, horizon_weeks=1).table
    g = table.groupby("plant_id").agg(nameplate=("nameplate", "sum"), p50=("p50", "sum"))
    g["drop"] = 1.0 - g["p50"] / g["nameplate"]
    has_obs = table.groupby("plant_id")["n_samples"].min() > 0
    state = fleet.to_frames().state
    down = (state["state"] == 2).groupby(state["plant_id"]).sum()
    g["units_down"] = g.index.map(down).fillna(0).astype(int)
    flagged = ((g["drop"] > threshold) & has_obs.reindex(g.index).fillna(False)) | (
        g["units_down"] > 0
    )
    return g[flagged].reset_index().sort_values("drop", ascending=False).reset_index(drop=True)


def new_chokepoints(latest: RunRecord | None, previous: RunRecord | None) -> pd.DataFrame:
    """Chokepoint rows of ``latest`` that were not chokepoints in ``previous``."""
    if latest is None or "chokepoints" not in latest.tables:
        return pd.DataFrame(columns=["product_id"])
    now = latest.tables["chokepoints"]
    flag = "is_chokepoint" if "is_chokepoint" in now.columns else None
    cur = now[now[flag].astype(bool)] if flag else now
    key = "product_id" if "product_id" in cur.columns else cur.columns[0]
    if previous is None or "chokepoints" not in previous.tables:
        return cur.reset_index(drop=True)
    before = previous.tables["chokepoints"]
    if flag and flag in before.columns:
        before = before[before[flag].astype(bool)]
    old = set(before[key].astype(str)) if key in before.columns else set()
    return cur[~cur[key].astype(str).isin(old)].reset_index(drop=True)
