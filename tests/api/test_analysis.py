"""Analysis runs through the API: start as a job, poll, read tables, explain, compare."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.api.conftest import Keys, auth


def _finish(client: TestClient, key: str, job_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}", headers=auth(key)).json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_analysis_job_results_explanation_and_comparison(
    app_client: TestClient, keys: Keys
) -> None:
    h = auth(keys.analyst)
    r = app_client.post(
        "/analysis/runs", json={"scope": {"chain": "auto"}, "params": {"top": 50}}, headers=h
    )
    assert r.status_code == 202 and r.headers["location"] == f"/jobs/{r.json()['id']}"
    job = _finish(app_client, keys.analyst, r.json()["id"])
    assert (
        job["state"] == "succeeded" and job["progress"] == 1.0 and job["result_kind"] == "analysis"
    )
    run_id = job["result_id"]
    run = app_client.get(f"/analysis/runs/{run_id}", headers=h).json()
    assert run["params"]["scope"]["chain"] == "auto"
    assert run["tables"]["findings"] == run["summary"]["findings"] > 0
    page = app_client.get(
        f"/analysis/runs/{run_id}/tables/findings", params={"limit": 2, "offset": 1}, headers=h
    )
    body = page.json()
    assert (
        body["total"] == run["summary"]["findings"]
        and len(body["rows"]) == 2
        and body["offset"] == 1
    )
    first = app_client.get(
        f"/analysis/runs/{run_id}/tables/findings", params={"limit": 1}, headers=h
    ).json()
    finding = first["rows"][0]
    why = app_client.get(f"/analysis/runs/{run_id}/findings/{finding['finding_id']}", headers=h)
    assert why.status_code == 200 and why.json()["result"]["reason"] == finding["reason"]
    assert app_client.get(f"/analysis/runs/{run_id}/findings/nope", headers=h).status_code == 404
    assert app_client.get(f"/analysis/runs/{run_id}/tables/nope", headers=h).status_code == 404
    again = _finish(
        app_client, keys.analyst, app_client.post("/analysis/runs", json={}, headers=h).json()["id"]
    )
    cmp = app_client.get(
        "/analysis/compare", params={"a": run_id, "b": again["result_id"]}, headers=h
    )
    assert cmp.status_code == 200 and {"new_chokepoints", "resolved_chokepoints"} <= set(
        cmp.json()["result"]
    )


def test_unknown_analysis_parameter_is_422_naming_it(app_client: TestClient, keys: Keys) -> None:
    r = app_client.post(
        "/analysis/runs", json={"params": {"bogus_knob": 3}}, headers=auth(keys.analyst)
    )
    assert r.status_code == 422 and "bogus_knob" in r.json()["detail"]


def test_chain_lead_runs_are_filed_under_its_tenant(app_client: TestClient, keys: Keys) -> None:
    r = app_client.post("/analysis/runs", json={}, headers=auth(keys.lead))
    job = _finish(app_client, keys.lead, r.json()["id"])
    assert job["state"] == "succeeded"
    run = app_client.get(f"/analysis/runs/{job['result_id']}", headers=auth(keys.lead)).json()
    assert run["params"]["scope"]["chain"] == "auto"  # forced to its chain
    other = app_client.post("/analysis/runs", json={}, headers=auth(keys.analyst)).json()
    other_job = _finish(app_client, keys.analyst, other["id"])
    assert (
        app_client.get(
            f"/analysis/runs/{other_job['result_id']}", headers=auth(keys.lead)
        ).status_code
        == 404
    )
    listed = app_client.get("/analysis/runs", headers=auth(keys.lead)).json()
    assert [i["id"] for i in listed["items"]] == [job["result_id"]]


def _findings_text(client: TestClient, key: str, run_id: str) -> str:
    t = client.get(
        f"/analysis/runs/{run_id}/tables/findings", params={"limit": 10_000}, headers=auth(key)
    )
    return " ".join(str(r) for r in t.json()["rows"])


def test_chain_lead_analysis_reads_only_its_chain(app_client: TestClient, keys: Keys) -> None:
    """Chain ``auto``'s scope also holds P1 (pharma), a customer of M1; the analyst's run
    of that scope names P1's product ``drug``, the chain-lead's run does not."""
    body = {"scope": {"chain": "auto"}}
    lead = _finish(
        app_client,
        keys.lead,
        app_client.post("/analysis/runs", json=body, headers=auth(keys.lead)).json()["id"],
    )
    full = _finish(
        app_client,
        keys.analyst,
        app_client.post("/analysis/runs", json=body, headers=auth(keys.analyst)).json()["id"],
    )
    assert "drug" in _findings_text(app_client, keys.analyst, full["result_id"])
    assert "drug" not in _findings_text(app_client, keys.lead, lead["result_id"])
    assert "car" in _findings_text(app_client, keys.lead, lead["result_id"])
