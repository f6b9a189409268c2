"""Scenarios and plant twins through the API, on the scenario and twin services."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from chain_brain.services.twins import create_twins
from chain_brain.store import open_store
from graph_schema.frames import GraphData, RelFrame, with_provenance
from tests.api.conftest import ClientFactory, Keys, auth, two_chains
from tests.api.test_analysis import _finish


@pytest.fixture
def twin_client(tmp_path: Path, make_client: ClientFactory) -> TestClient:
    """Two chains, the steel plant S1P making 80 kt/year of steel by BOF, and its twin."""
    db = tmp_path / "twins.db"
    store = open_store(db)
    store.init()
    store.write(two_chains())
    bof = pd.DataFrame(
        {
            "src": ["S1P"],
            "dst": ["steel"],
            "process": ["BOF"],
            "capacity": [80.0],
            "unit": ["kt"],
            "period": ["year"],
        }
    )
    prov = with_provenance(bof, source="api-test", snapshot="s2", loaded_at="2026-01-01T00:00:00Z")
    store.write(GraphData([], [RelFrame("PRODUCES", "Plant", "Product", prov)]))
    create_twins(store)
    store.close()
    return make_client(store_path=db)


def test_scenario_create_run_results_and_compare(twin_client: TestClient, keys: Keys) -> None:
    h = auth(keys.analyst)
    spec = {"name": "mine 1 floods", "disrupted": ["M1"], "ttr_weeks": 6, "use_twins": False}
    created = twin_client.post("/scenarios", json=spec, headers=h)
    assert (
        created.status_code == 201
        and created.headers["location"] == f"/scenarios/{created.json()['id']}"
    )
    sid = created.json()["id"]
    assert twin_client.get(f"/scenarios/{sid}", headers=h).json()["ttr_weeks"] == 6
    job = _finish(
        twin_client,
        keys.analyst,
        twin_client.post(f"/scenarios/{sid}/runs", headers=h).json()["id"],
    )
    assert job["state"] == "succeeded", job
    run = twin_client.get(f"/scenarios/runs/{job['result_id']}", headers=h).json()
    assert run["params"]["disrupted"] == ["M1"] and run["params"]["ttr_weeks"] == 6
    table = next(iter(run["tables"]))
    page = twin_client.get(f"/scenarios/runs/{job['result_id']}/tables/{table}", headers=h).json()
    assert page["total"] == run["tables"][table]
    other = twin_client.post("/scenarios", json={**spec, "disrupted": ["S2"]}, headers=h).json()[
        "id"
    ]
    job2 = _finish(
        twin_client,
        keys.analyst,
        twin_client.post(f"/scenarios/{other}/runs", headers=h).json()["id"],
    )
    cmp = twin_client.get(
        "/scenarios/compare", params={"a": job["result_id"], "b": job2["result_id"]}, headers=h
    )
    assert cmp.status_code == 200
    rows = {r["figure"]: r for r in cmp.json()["result"]}
    assert rows["name"][job["result_id"]] == "mine 1 floods"


def test_scenario_without_disruption_is_422(twin_client: TestClient, keys: Keys) -> None:
    r = twin_client.post("/scenarios", json={"name": "nothing"}, headers=auth(keys.analyst))
    assert r.status_code == 422 and "disrupted" in r.json()["detail"]
    r = twin_client.post(
        "/scenarios",
        json={"name": "x", "disrupted": ["M1"], "assumptions": {"bogus": 1}},
        headers=auth(keys.analyst),
    )
    assert r.status_code == 422 and "bogus" in r.json()["detail"]


def test_twin_state_event_and_forecast(twin_client: TestClient, keys: Keys) -> None:
    h = auth(keys.analyst)
    state = twin_client.get("/twins/S1P", headers=auth(keys.viewer)).json()["result"]
    assert [u["unit_id"] for u in state["units"]] == ["BOF"]
    ev = {"kind": "outage_start", "start": "2026-01-05T00:00:00"}
    r = twin_client.post("/twins/S1P/events", json=ev, headers=h)
    assert r.status_code == 202, r.text
    after = twin_client.get("/twins/S1P", headers=h).json()["result"]
    assert after["units"][0]["state"] != state["units"][0]["state"]
    fc = twin_client.get("/twins/S1P/forecast", params={"horizon_weeks": 3}, headers=h).json()
    assert fc["total"] == 3 and {r["week"] for r in fc["rows"]} == {1, 2, 3}
    assert twin_client.get("/twins/M1", headers=h).status_code == 404  # a firm, not a plant
    audit = twin_client.get("/admin/audit", headers=auth(keys.admin)).json()
    assert any(a["action"] == "twin-event" and a["target"] == "plant:S1P" for a in audit)


def test_twin_telemetry_batch_is_refused_whole(twin_client: TestClient, keys: Keys) -> None:
    """The unit has no load thresholds yet, so the service refuses the batch (422) and
    the twin keeps no reading."""
    rows = [
        {"timestamp": f"2026-01-05T00:{m:02d}:00", "unit_id": "BOF", "value": 100.0}
        for m in (0, 15, 30, 45)
    ]
    r = twin_client.post("/twins/S1P/telemetry", json={"rows": rows}, headers=auth(keys.analyst))
    assert r.status_code == 422 and "no_thresholds" in r.json()["detail"]
    state = twin_client.get("/twins/S1P", headers=auth(keys.analyst)).json()["result"]
    assert state["units"][0]["last_reading"] is None
    dup = twin_client.post(
        "/twins/S1P/telemetry", json={"rows": rows[:1] * 2}, headers=auth(keys.analyst)
    )
    assert dup.status_code == 422 and "BOF" in dup.json()["detail"]
