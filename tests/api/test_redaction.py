"""Tenant redaction, tried by a chain lead who wants another organisation's volumes: graph
reads, chain maps, exports, analysis tables and explanations, and the cache in between.

The module's graph is :func:`two_chains` plus a group around the chain lead A1 of chain
``auto``: A1's ultimate parent is G0; A9 (parent G0, makes cars) buys steel from S2
(volume 9); A1 owns 30 % of the mine M1 (``OWNS``).  So for the lead, S2->A9 (a sister
firm) and M1->S1P (a firm of its group) are its own business; M2->S2 (50) and M2->S1P (40)
are not.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from chain_brain.graph.samples import graph_data, toy_chain
from chain_brain.services.security import Principal, Role, own_group, redact
from chain_brain.store import GraphStore
from graph_schema.model import NodeLabel as L
from graph_schema.model import RelType as R
from tests.api.conftest import ClientFactory, Keys, _provenance, auth


def _group_data() -> object:
    a1 = toy_chain().node_table(L.FIRM)
    a1 = a1[a1["id"] == "A1"].iloc[0].to_dict()
    firms = [
        {k: v for k, v in a1.items() if k in ("id", "name", "country", "region")}
        | {"parent": "G0"},
        {"id": "G0", "name": "Group 0", "country": "CHN"},
        {"id": "A9", "name": "Auto 9", "country": "CHN", "region": "JS", "parent": "G0"},
    ]
    return _provenance(
        graph_data(
            {L.FIRM: firms},
            [
                (R.PRODUCES, L.FIRM, L.PRODUCT, [{"src": "A9", "dst": "car", "capacity": 5}]),
                (
                    R.SUPPLIES,
                    L.FIRM,
                    L.FIRM,
                    [{"src": "S2", "dst": "A9", "product": "steel", "volume": 9.0}],
                ),
                (R.OWNS, L.FIRM, L.FIRM, [{"src": "A1", "dst": "M1", "share": 0.3}]),
            ],
        )
    )


@pytest.fixture(scope="module")
def group_store(store: GraphStore) -> Iterator[GraphStore]:
    store.write(_group_data())  # type: ignore[arg-type]
    yield store


@pytest.fixture
def gclient(group_store: GraphStore, make_client: ClientFactory) -> TestClient:
    return make_client(group_store)


def _supplies(client: TestClient, key: str, node: str, **params: object) -> dict:
    r = client.get(f"/nodes/{node}/neighbourhood", params=params, headers=auth(key))
    assert r.status_code == 200, r.text
    return {
        (e["src"], e["dst"]): e["properties"].get("volume")
        for e in r.json()["edges"]
        if e["type"] == "SUPPLIES"
    }


def test_own_group_rule_on_the_data() -> None:
    data = toy_chain()
    data.extend(_group_data())  # type: ignore[arg-type]
    assert own_group(data, "A1") == {"Firm:A1", "Firm:G0", "Firm:A9", "Firm:M1"}
    assert own_group(data, "S1") == {"Firm:S1", "Plant:S1P"}
    assert own_group(data, None) == frozenset()
    lead = Principal("k", Role.CHAIN_LEAD, chain="auto", firm="A1")
    sup = pd.concat([rf.data for rf in redact(lead, data).rel_frames(R.SUPPLIES)])
    vol = sup.set_index(["src", "dst"])["volume"]
    assert vol[("S2", "A9")] == 9.0 and vol[("M1", "S1P")] == 60.0
    assert vol[("M2", "S2")] is None and vol[("M2", "S1P")] is None


def test_chain_lead_sees_its_group_and_nothing_else(gclient: TestClient, keys: Keys) -> None:
    lead = _supplies(gclient, keys.lead, "S2", tiers=1, direction="both")
    assert lead[("S2", "A9")] == 9.0 and lead[("S2", "A1")] == 30.0
    assert lead[("M2", "S2")] is None
    up = _supplies(gclient, keys.lead, "S1P", tiers=1, direction="up")
    assert up[("M1", "S1P")] == 60.0 and up[("M2", "S1P")] is None


def test_every_volume_the_lead_gets_is_its_groups(gclient: TestClient, keys: Keys) -> None:
    """Widest reads from every node of the chain: any number shown must be on an edge of
    A1's group (A1, G0, A9, M1)."""
    group = {"A1", "G0", "A9", "M1"}
    for node in ("M1", "M2", "S1P", "S2", "C1", "A1", "A9"):
        got = _supplies(gclient, keys.lead, node, tiers=6, direction="both")
        leaked = {e: v for e, v in got.items() if v is not None and not set(e) & group}
        assert not leaked, (node, leaked)


def test_the_cache_never_serves_an_analysts_view_to_a_lead(gclient: TestClient, keys: Keys) -> None:
    params = {"tiers": 2, "direction": "up"}
    full = _supplies(gclient, keys.analyst, "A1", **params)  # warms the cache first
    assert full[("M2", "S2")] == 50.0
    assert _supplies(gclient, keys.lead, "A1", **params)[("M2", "S2")] is None
    assert set(_supplies(gclient, keys.viewer, "A1", **params).values()) == {None}
    assert _supplies(gclient, keys.analyst, "A1", **params)[("M2", "S2")] == 50.0


def test_chain_map_flow_volumes_need_read_confidential(gclient: TestClient, keys: Keys) -> None:
    analyst = gclient.get("/chains/auto", headers=auth(keys.analyst)).json()
    assert any(f["volume"] for f in analyst["flows"])
    for key in (keys.lead, keys.viewer):
        flows = gclient.get("/chains/auto", headers=auth(key)).json()["flows"]
        assert flows and all(f["volume"] is None for f in flows)
        assert [f["edges"] for f in flows] == [f["edges"] for f in analyst["flows"]]


def test_chain_lead_export_keeps_its_groups_volumes_only(gclient: TestClient, keys: Keys) -> None:
    r = gclient.get("/exports", params={"format": "csv"}, headers=auth(keys.lead))
    z = zipfile.ZipFile(io.BytesIO(r.content))
    ff = pd.read_csv(z.open("SUPPLIES__Firm__Firm.csv")).set_index(["src", "dst"])["volume"]
    fp = pd.read_csv(z.open("SUPPLIES__Firm__Plant.csv")).set_index(["src", "dst"])["volume"]
    assert ff[("S2", "A9")] == 9.0 and pd.isna(ff[("M2", "S2")])
    assert fp[("M1", "S1P")] == 60.0 and pd.isna(fp[("M2", "S1P")])


def _finish(client: TestClient, key: str, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}", headers=auth(key)).json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_analysis_tables_and_explanations_are_redacted_for_the_lead(
    gclient: TestClient, keys: Keys
) -> None:
    h = auth(keys.lead)
    job = _finish(
        gclient, keys.lead, gclient.post("/analysis/runs", json={}, headers=h).json()["id"]
    )
    assert job["state"] == "succeeded", job
    run = job["result_id"]

    def table(key: str, name: str) -> pd.DataFrame:
        r = gclient.get(
            f"/analysis/runs/{run}/tables/{name}", params={"limit": 1000}, headers=auth(key)
        )
        assert r.status_code == 200, r.text
        return pd.DataFrame(r.json()["rows"])

    sole = table(keys.lead, "sole_sources").set_index("finding_id")
    other = "sole_source:Firm:S2:ore"  # S2 buys its ore from M2 only: not the lead's trade
    assert sole.loc[other, "volume"] is None or pd.isna(sole.loc[other, "volume"])
    assert "volume withheld" in sole.loc[other, "reason"] and "50" not in sole.loc[other, "reason"]
    mine = "sole_source:Firm:A1:chip"
    assert sole.loc[mine, "volume"] == 400.0 and "400" in sole.loc[mine, "reason"]
    full = table(keys.analyst, "sole_sources").set_index("finding_id")
    assert full.loc[other, "volume"] == 50.0 and "withheld" not in full.loc[other, "reason"]

    findings = table(keys.lead, "findings").set_index("finding_id")
    assert "volume withheld" in findings.loc[other, "reason"]

    why = gclient.get(f"/analysis/runs/{run}/findings/{other}", headers=h).json()["result"]
    assert why["values"]["volume"] is None and "withheld" in why["reason"]
    why = gclient.get(f"/analysis/runs/{run}/findings/{other}", headers=auth(keys.analyst)).json()[
        "result"
    ]
    assert why["values"]["volume"] == 50.0

    bridges = table(keys.lead, "bridges")
    for _, row in bridges.iterrows():
        ours = {row["src_key"], row["dst_key"]} & {"Firm:A1", "Firm:A9", "Firm:G0", "Firm:M1"}
        assert ours or row["volume"] is None or pd.isna(row["volume"]), row.to_dict()


def test_chokepoint_list_is_scoped(gclient: TestClient, keys: Keys) -> None:
    h = auth(keys.lead)
    assert gclient.get("/chains/pharma/chokepoints", headers=h).status_code == 403
    r = gclient.get("/chains/auto/chokepoints", headers=h)
    assert r.status_code == 200
    body = r.json()
    ids = [row["product_id"] for row in body["rows"]]
    assert body["total"] == len(ids) and "chip" in ids and "drug" not in ids
    scores = [row["score"] for row in body["rows"]]
    assert scores == sorted(scores, reverse=True)
    flagged = gclient.get("/chains/auto/chokepoints", params={"flagged": True}, headers=h).json()
    assert (
        all(row["is_chokepoint"] for row in flagged["rows"]) and flagged["total"] <= body["total"]
    )
    assert gclient.get("/chains/ghost/chokepoints", headers=auth(keys.analyst)).status_code == 404


# ---------------------------------------------------------------- the response cache


def test_a_cached_answer_is_not_served_across_chains_keys_or_limits(
    group_store: GraphStore, make_client: ClientFactory, keys: Keys
) -> None:
    client = make_client(group_store, rate_limit_per_minute=5)
    assert client.get("/chains/pharma", headers=auth(keys.analyst)).status_code == 200
    assert client.get("/chains/pharma", headers=auth(keys.analyst)).status_code == 200  # cached
    r = client.get("/chains/pharma", headers=auth(keys.lead))  # same URL, another chain's lead
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/chains/pharma", headers={}).status_code == 401
    wrong = keys.analyst[:-3] + ("abc" if not keys.analyst.endswith("abc") else "xyz")
    assert client.get("/chains/pharma", headers=auth(wrong)).status_code == 401
    # the analyst's bucket (5 a minute) is spent by cached answers too
    codes = [client.get("/chains/pharma", headers=auth(keys.analyst)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_revoked_key_gets_no_cached_answer(
    group_store: GraphStore, make_client: ClientFactory, keys: Keys
) -> None:
    client = make_client(group_store)
    h = auth(keys.viewer)
    assert client.get("/chains/auto", headers=h).status_code == 200
    assert client.get("/chains/auto", headers=h).status_code == 200
    key_id = keys.viewer.split("_")[1]
    assert client.delete(f"/admin/keys/{key_id}", headers=auth(keys.admin)).status_code in (
        200,
        204,
    )
    assert client.get("/chains/auto", headers=h).status_code == 401


def test_a_graph_change_reaches_cached_answers(
    make_client: ClientFactory, keys: Keys, tmp_path: object
) -> None:
    from pathlib import Path

    from chain_brain.store import open_store
    from tests.api.conftest import two_chains

    store = open_store(Path(str(tmp_path)) / "own.db")
    store.init()
    store.write(two_chains())
    try:
        client = make_client(store)
        h = auth(keys.analyst)

        def firms_in(segment: str) -> int:
            segs = client.get("/chains/auto", headers=h).json()["segments"]
            return next(s["firms"] for s in segs if s["id"] == segment)

        def a1_suppliers() -> set[str]:
            g = client.get("/nodes/A1/neighbourhood", params={"direction": "up"}, headers=h)
            return {e["src"] for e in g.json()["edges"] if e["type"] == "SUPPLIES"}

        before, suppliers = firms_in("assembly"), a1_suppliers()
        assert firms_in("assembly") == before and a1_suppliers() == suppliers  # cached now
        store.write(_group_data())  # type: ignore[arg-type]  # A9 makes cars
        assert firms_in("assembly") == before + 1
        assert client.get("/chains/auto/chokepoints", headers=h).status_code == 200
    finally:
        store.close()


def test_scenario_tables_withhold_other_organisations_figures(
    gclient: TestClient, keys: Keys
) -> None:
    """M2 (not the lead's group) is disrupted: the quantities its customers S2 and S1P lose
    are M2's supply volumes in another form, so the lead must not read them."""
    spec = {"name": "mine 2 floods", "disrupted": ["M2"], "ttr_weeks": 4, "use_twins": False}
    h = auth(keys.lead)
    sid = gclient.post("/scenarios", json=spec, headers=h).json()["id"]
    job = _finish(
        gclient, keys.lead, gclient.post(f"/scenarios/{sid}/runs", headers=h).json()["id"]
    )
    assert job["state"] == "succeeded", job
    run_id = job["result_id"]
    tables = gclient.get(f"/scenarios/runs/{run_id}", headers=h).json()["tables"]
    assert "disrupted" in tables
    parties = {
        "plan": ("source", "sink"),
        "plan_unmet": ("sink",),
        "impact": ("node",),
        "disrupted": ("id",),
        "nodes": ("node",),
    }
    group = {"A1", "G0", "A9", "M1"}
    withheld = shown = 0
    for name in tables:
        lead = gclient.get(
            f"/scenarios/runs/{run_id}/tables/{name}", params={"limit": 1000}, headers=h
        ).json()
        full = gclient.get(
            f"/scenarios/runs/{run_id}/tables/{name}",
            params={"limit": 1000},
            headers=auth(keys.analyst),
        ).json()
        for row, whole in zip(lead["rows"], full["rows"], strict=True):
            ours = {str(row.get(c)) for c in parties.get(name, ())} & group
            floats = [c for c, v in whole.items() if isinstance(v, float)]
            if ours:
                shown += sum(row[c] == whole[c] for c in floats)
            else:
                assert all(row[c] is None for c in floats), (name, row)
                withheld += len(floats)
    disrupted = gclient.get(f"/scenarios/runs/{run_id}/tables/disrupted", headers=h).json()
    m2 = next(r for r in disrupted["rows"] if r["id"] == "M2")
    assert m2["baseline_output"] is None and m2["capacity"] is None
    assert withheld > 0 and shown > 0


def test_cached_answers_are_gzipped_for_clients_that_accept_it(
    gclient: TestClient, keys: Keys
) -> None:
    path, h = "/nodes/S2/neighbourhood?tiers=2", auth(keys.lead)
    first = gclient.get(path, headers={**h, "Accept-Encoding": "identity"})
    again = gclient.get(path, headers={**h, "Accept-Encoding": "gzip"})  # from the cache
    assert "content-encoding" not in first.headers
    assert (
        again.headers["content-encoding"] == "gzip" and again.headers["vary"] == "Accept-Encoding"
    )
    assert again.json() == first.json()
    plain = gclient.get(path, headers={**h, "Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain.headers and plain.json() == first.json()
    odd = gclient.get(path, headers={**h, "Accept-Encoding": "gzip;q=x"})
    assert odd.status_code == 200 and odd.json() == first.json()


def test_principal_group_read_from_the_store(group_store: GraphStore) -> None:
    from chain_brain.services.security import group_root, principal_group

    lead = Principal("k", Role.CHAIN_LEAD, chain="auto", firm="A1")
    assert group_root(group_store, "A1") == "G0" and group_root(group_store, "ghost") == "ghost"
    group = principal_group(group_store, lead)
    assert {"Firm:A1", "Firm:A9", "Firm:M1"} <= group and "Firm:S2" not in group
    assert principal_group(group_store, Principal("v", Role.VIEWER, firm="ghost")) == {"Firm:ghost"}
    assert principal_group(group_store, Principal("v", Role.VIEWER)) == frozenset()
