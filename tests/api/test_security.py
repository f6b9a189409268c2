"""Every access rule, tried by someone it should stop: keys, roles, tenants, redaction,
rate and size limits, secrets kept out of logs and files, the audit log."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from chain_brain.services.security import (
    PERMISSIONS,
    Permission,
    Principal,
    RateLimitedError,
    RateLimiter,
    Role,
)
from chain_brain.store import GraphStore
from tests.api.conftest import ClientFactory, Keys, auth

SCENARIO = {"name": "mine flood", "disrupted": ["M1"], "ttr_weeks": 4.0}


# ---------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer cb_nope_secret"},
        {"X-API-Key": "not-a-key"},
        {"Authorization": "Basic abc"},
    ],
)
def test_requests_without_a_valid_key_get_401(
    app_client: TestClient, headers: dict[str, str]
) -> None:
    r = app_client.get("/firms", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:chain-brain:problem:unauthenticated"


def test_wrong_secret_of_a_real_key_id_gets_401(app_client: TestClient, keys: Keys) -> None:
    key_id = keys.viewer.split("_")[1]
    r = app_client.get("/firms", headers=auth(f"cb_{key_id}_{'x' * 43}"))
    assert r.status_code == 401 and "Wrong secret" in r.json()["detail"]


def test_x_api_key_header_works_too(app_client: TestClient, keys: Keys) -> None:
    assert app_client.get("/firms", headers={"X-API-Key": keys.viewer}).status_code == 200


def test_keys_file_holds_no_plaintext(keys: Keys) -> None:
    text = keys.file.read_text()
    for key in (keys.admin, keys.analyst, keys.lead, keys.viewer):
        assert key.split("_", 2)[2] not in text
    assert '"digest"' in text and '"salt"' in text


# ---------------------------------------------------------------- roles


def test_permission_matrix() -> None:
    assert PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert PERMISSIONS[Role.VIEWER] == {Permission.READ}
    assert Permission.INGEST not in PERMISSIONS[Role.CHAIN_LEAD]
    assert Permission.READ_CONFIDENTIAL not in PERMISSIONS[Role.CHAIN_LEAD]
    assert Permission.MANAGE_KEYS not in PERMISSIONS[Role.ANALYST]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/analysis/runs", {"json": {}}),
        ("post", "/scenarios", {"json": SCENARIO}),
        (
            "post",
            "/twins/S1P/telemetry",
            {"json": {"rows": [{"timestamp": "2026-01-01", "output": 1.0}]}},
        ),
        ("post", "/twins/S1P/events", {"json": {"kind": "outage", "start": "2026-01-01"}}),
        (
            "post",
            "/ingest",
            {"files": {"file": ("a.csv", b"id\n1\n"), "mapping": ("m.yaml", b"x: 1\n")}},
        ),
        ("get", "/exports", {}),
        ("post", "/admin/keys", {"json": {"role": "admin"}}),
        ("get", "/admin/audit", {}),
    ],
)
def test_viewer_cannot_write_start_jobs_export_or_administer(
    app_client: TestClient, keys: Keys, method: str, path: str, kwargs: dict[str, object]
) -> None:
    r = getattr(app_client, method)(path, headers=auth(keys.viewer), **kwargs)
    assert r.status_code == 403, r.text
    assert r.json()["type"] == "urn:chain-brain:problem:forbidden"


@pytest.mark.parametrize("who", ["analyst", "lead"])
def test_only_admin_manages_keys_and_reads_audit(
    app_client: TestClient, keys: Keys, who: str
) -> None:
    h = auth(getattr(keys, who))
    assert app_client.post("/admin/keys", json={"role": "admin"}, headers=h).status_code == 403
    assert app_client.get("/admin/keys", headers=h).status_code == 403
    assert app_client.get("/admin/audit", headers=h).status_code == 403


def test_chain_lead_cannot_ingest_or_write_twins(app_client: TestClient, keys: Keys) -> None:
    h = auth(keys.lead)
    files = {"file": ("a.csv", b"id\n1\n"), "mapping": ("m.yaml", b"x: 1\n")}
    assert app_client.post("/ingest", files=files, headers=h).status_code == 403
    ev = {"kind": "outage", "start": "2026-01-01"}
    assert app_client.post("/twins/S1P/events", json=ev, headers=h).status_code == 403


def test_admin_creates_uses_and_revokes_a_key(app_client: TestClient, keys: Keys) -> None:
    r = app_client.post(
        "/admin/keys", json={"role": "viewer", "tenant": "x"}, headers=auth(keys.admin)
    )
    assert r.status_code == 201
    new = r.json()
    assert new["key"].startswith("cb_") and new["key"] not in keys.file.read_text()
    assert app_client.get("/firms", headers=auth(new["key"])).status_code == 200
    listed = app_client.get("/admin/keys", headers=auth(keys.admin)).json()
    assert all("key" not in k and "digest" not in k for k in listed)
    assert (
        app_client.delete(f"/admin/keys/{new['key_id']}", headers=auth(keys.admin)).status_code
        == 204
    )
    assert app_client.get("/firms", headers=auth(new["key"])).status_code == 401


def test_chain_lead_key_needs_a_binding(app_client: TestClient, keys: Keys) -> None:
    r = app_client.post(
        "/admin/keys", json={"role": "chain-lead", "chain": "auto"}, headers=auth(keys.admin)
    )
    assert r.status_code == 422 and "firm" in r.json()["detail"]


# ---------------------------------------------------------------- tenants


def test_chain_lead_sees_only_its_chain(client: TestClient, keys: Keys) -> None:
    h = auth(keys.lead)
    chains = client.get("/chains", headers=h).json()
    assert [c["id"] for c in chains["items"]] == ["auto"]
    assert client.get("/chains/pharma", headers=h).status_code == 403
    assert client.get("/chains/auto", headers=h).status_code == 200
    firms = client.get("/firms", headers=h).json()
    assert "P1" not in [f["id"] for f in firms["items"]] and "A1" in [
        f["id"] for f in firms["items"]
    ]
    assert client.get("/firms/P1", headers=h).status_code == 404
    assert client.get("/firms", params={"q": "药业"}, headers=h).json()["total"] == 0
    assert client.get("/products/drug", headers=h).status_code == 404
    # the analyst (unbound) sees the other chain
    assert client.get("/firms/P1", headers=auth(keys.analyst)).status_code == 200


def test_chain_lead_neighbourhood_is_cut_to_its_chain(client: TestClient, keys: Keys) -> None:
    r = client.get("/nodes/M1/neighbourhood", params={"direction": "down"}, headers=auth(keys.lead))
    ids = {n["id"] for n in r.json()["nodes"]}
    assert "P1" not in ids and "S1P" in ids
    assert client.get("/nodes/P1/neighbourhood", headers=auth(keys.lead)).status_code == 404
    full = client.get(
        "/nodes/M1/neighbourhood", params={"direction": "down"}, headers=auth(keys.analyst)
    )
    assert "P1" in {n["id"] for n in full.json()["nodes"]}


def _volumes(client: TestClient, key: str) -> dict[tuple[str, str], float | None]:
    g = client.get(
        "/nodes/A1/neighbourhood", params={"tiers": 2, "direction": "up"}, headers=auth(key)
    ).json()
    return {
        (e["src"], e["dst"]): e["properties"].get("volume")
        for e in g["edges"]
        if e["type"] == "SUPPLIES"
    }


def test_other_firms_volumes_are_redacted_for_the_chain_lead(
    client: TestClient, keys: Keys
) -> None:
    lead = _volumes(client, keys.lead)
    assert lead[("S2", "A1")] == 30.0 and lead[("C1", "A1")] == 400.0  # its own supplies
    assert lead[("M2", "S2")] is None and lead[("M1", "S1P")] is None  # other firms' trade
    analyst = _volumes(client, keys.analyst)
    assert analyst[("M2", "S2")] == 50.0 and analyst[("M1", "S1P")] == 60.0


def test_viewer_sees_no_volumes(client: TestClient, keys: Keys) -> None:
    assert set(_volumes(client, keys.viewer).values()) == {None}


def test_chain_lead_export_is_scoped_and_redacted(client: TestClient, keys: Keys) -> None:
    import io
    import zipfile

    import pandas as pd

    r = client.get("/exports", params={"format": "csv"}, headers=auth(keys.lead))
    z = zipfile.ZipFile(io.BytesIO(r.content))
    firms = pd.read_csv(z.open("Firm.csv"))
    assert "P1" not in set(firms["id"]) and "A1" in set(firms["id"])
    sup = pd.read_csv(z.open("SUPPLIES__Firm__Firm.csv")).set_index(["src", "dst"])
    assert sup.loc[("S2", "A1"), "volume"] == 30.0 and pd.isna(sup.loc[("M2", "S2"), "volume"])
    assert (
        client.get("/exports", params={"chain": "pharma"}, headers=auth(keys.lead)).status_code
        == 403
    )


def test_chain_lead_cannot_start_work_on_another_chain(client: TestClient, keys: Keys) -> None:
    h = auth(keys.lead)
    r = client.post("/analysis/runs", json={"scope": {"chain": "pharma"}}, headers=h)
    assert r.status_code == 403
    r = client.post("/scenarios", json={**SCENARIO, "scope": {"chain": "pharma"}}, headers=h)
    assert r.status_code == 403


def test_scenarios_are_tenant_private(app_client: TestClient, keys: Keys) -> None:
    r = app_client.post("/scenarios", json=SCENARIO, headers=auth(keys.lead))
    assert r.status_code == 201
    sid = r.json()["id"]
    assert r.json()["scope"]["chain"] == "auto"  # bound to its chain
    assert app_client.get(f"/scenarios/{sid}", headers=auth(keys.lead)).status_code == 200
    assert (
        app_client.get(f"/scenarios/{sid}", headers=auth(keys.analyst)).status_code == 200
    )  # unbound sees all
    mine = app_client.post("/scenarios", json=SCENARIO, headers=auth(keys.analyst)).json()["id"]
    assert app_client.get(f"/scenarios/{mine}", headers=auth(keys.lead)).status_code == 404
    assert mine not in [
        s["id"] for s in app_client.get("/scenarios", headers=auth(keys.lead)).json()
    ]


# ---------------------------------------------------------------- limits


def test_rate_limit_per_key(
    embedded_store: GraphStore, make_client: ClientFactory, keys: Keys
) -> None:
    client = make_client(embedded_store, rate_limit_per_minute=3)
    codes = [client.get("/firms", headers=auth(keys.viewer)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/firms", headers=auth(keys.viewer))
    assert (
        r.json()["type"] == "urn:chain-brain:problem:rate-limited"
        and int(r.headers["Retry-After"]) >= 1
    )
    assert (
        client.get("/firms", headers=auth(keys.analyst)).status_code == 200
    )  # another key's bucket


def test_token_bucket_refills() -> None:
    limiter = RateLimiter(60, burst=1)  # one token a second
    limiter.take("k")
    with pytest.raises(RateLimitedError, match="'k'"):
        limiter.take("k")
    limiter._buckets["k"] = (0.0, limiter._buckets["k"][1] - 1.01)  # a second later
    limiter.take("k")


def test_request_size_limit(
    embedded_store: GraphStore, make_client: ClientFactory, keys: Keys
) -> None:
    client = make_client(embedded_store, max_request_bytes=1000)
    big = {**SCENARIO, "description": "x" * 2000}
    r = client.post("/scenarios", json=big, headers=auth(keys.analyst))
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(4):
            yield b"x" * 400

    r = client.post(
        "/scenarios",
        content=chunks(),
        headers={**auth(keys.analyst), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    small = client.post("/scenarios", json=SCENARIO, headers=auth(keys.analyst))
    assert small.status_code == 201


# ---------------------------------------------------------------- secrets and audit


def test_no_key_reaches_the_logs(
    app_client: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app_client.get("/firms", headers=auth(keys.analyst))
    app_client.get("/firms", headers=auth(keys.analyst[:-3] + "abc"))  # wrong secret
    app_client.post("/admin/keys", json={"role": "viewer"}, headers=auth(keys.admin))
    app_client.get("/firms/ghost", headers=auth(keys.viewer))
    assert caplog.records  # something was logged, so the check below can fail
    for key in (keys.analyst, keys.admin, keys.viewer):
        assert key.split("_", 2)[2] not in caplog.text


def test_writes_are_audited(app_client: TestClient, keys: Keys) -> None:
    sid = app_client.post("/scenarios", json=SCENARIO, headers=auth(keys.analyst)).json()["id"]
    app_client.post("/admin/keys", json={"role": "viewer"}, headers=auth(keys.admin))
    log = app_client.get("/admin/audit", headers=auth(keys.admin)).json()
    actions = {(a["action"], a["role"]) for a in log}
    assert ("create-scenario", "analyst") in actions and ("create-key", "admin") in actions
    rec = next(a for a in log if a["action"] == "create-scenario")
    assert rec["target"] == f"scenario:{sid}" and rec["key_id"] == keys.analyst.split("_")[1]
    assert rec["tenant"] == "gov"


def test_principal_tenant_rules() -> None:
    lead = Principal("k", Role.CHAIN_LEAD, None, chain="auto", firm="A1")
    assert lead.tenant_key == "chain:auto"
    assert (
        lead.sees_tenant("chain:auto")
        and not lead.sees_tenant(None)
        and not lead.sees_tenant("gov")
    )
    assert Principal("k", Role.ANALYST).sees_tenant("anything")
