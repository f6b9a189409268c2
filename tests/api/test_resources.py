"""Store-backed resources against both backends: nodes, search, filters, pages,
neighbourhoods, chains, exports, problem details and the OpenAPI document."""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient

from tests.api.conftest import Keys, auth


def test_health_needs_no_key_and_reports_schema(client: TestClient) -> None:
    from graph_schema.migrations import SCHEMA_VERSION

    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ok",
        "schema_version": SCHEMA_VERSION,
        "code_schema_version": SCHEMA_VERSION,
    }


def test_firm_by_id_and_missing_firm_is_a_problem(client: TestClient, keys: Keys) -> None:
    r = client.get("/firms/M2", headers=auth(keys.analyst))
    assert r.status_code == 200
    assert r.json()["properties"]["country"] == "AUS" and r.json()["label"] == "Firm"
    r = client.get("/firms/nope", headers=auth(keys.analyst))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "urn:chain-brain:problem:not-found" and body["status"] == 404
    assert "nope" in body["detail"] and body["title"] == "Not found"


def test_search_in_chinese_and_english(client: TestClient, keys: Keys) -> None:
    zh = client.get("/firms", params={"q": "药业"}, headers=auth(keys.analyst)).json()
    assert [i["id"] for i in zh["items"]] == ["P1"]
    en = client.get("/firms", params={"q": "steel"}, headers=auth(keys.analyst)).json()
    assert [i["id"] for i in en["items"]] == ["S1", "S2"]
    prod = client.get("/products", params={"q": "药品"}, headers=auth(keys.analyst)).json()
    assert [i["id"] for i in prod["items"]] == ["drug"]


def test_filters_and_pagination(client: TestClient, keys: Keys) -> None:
    h = auth(keys.analyst)
    chn = client.get("/firms", params={"country": "CHN"}, headers=h).json()
    assert chn["total"] == 5 and [i["id"] for i in chn["items"]] == ["A1", "M1", "P1", "S1", "S2"]
    js = client.get("/firms", params={"region": "JS"}, headers=h).json()
    assert [i["id"] for i in js["items"]] == ["A1", "P1", "S2"]
    page = client.get("/firms", params={"limit": 2, "offset": 2}, headers=h).json()
    assert page["total"] == 7 and [i["id"] for i in page["items"]] == ["M1", "M2"]
    plants = client.get("/plants", params={"region": "HB"}, headers=h).json()
    assert [i["id"] for i in plants["items"]] == ["S1P"]


def test_filter_a_label_lacks_is_a_422_problem(client: TestClient, keys: Keys) -> None:
    r = client.get("/products", params={"country": "CHN"}, headers=auth(keys.analyst))
    assert r.status_code == 422 and "country" in r.json()["detail"]


def test_request_validation_problem_lists_field_value_reason(
    client: TestClient, keys: Keys
) -> None:
    r = client.get("/firms", params={"limit": 0}, headers=auth(keys.analyst))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "urn:chain-brain:problem:invalid-request"
    assert body["errors"][0]["field"] == "limit" and body["errors"][0]["value"] == "0"
    assert "greater than or equal to 1" in body["errors"][0]["reason"]


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    r = client.get("/no/such/route")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_neighbourhood_one_tier_up(client: TestClient, keys: Keys) -> None:
    r = client.get(
        "/nodes/A1/neighbourhood",
        params={"tiers": 1, "direction": "up"},
        headers=auth(keys.analyst),
    )
    assert r.status_code == 200
    g = r.json()
    supplies = {
        (e["src"], e["dst"], e["properties"].get("volume"))
        for e in g["edges"]
        if e["type"] == "SUPPLIES"
    }
    assert supplies == {("S1P", "A1", 70.0), ("S2", "A1", 30.0), ("C1", "A1", 400.0)}
    ids = {n["id"] for n in g["nodes"] if n["label"] in ("Firm", "Plant")}
    assert {"A1", "S1P", "S2", "C1"} <= ids and "M1" not in ids


def test_neighbourhood_of_unknown_node_is_404(client: TestClient, keys: Keys) -> None:
    r = client.get("/nodes/ghost/neighbourhood", headers=auth(keys.analyst))
    assert r.status_code == 404


def test_chains_list_and_map(client: TestClient, keys: Keys) -> None:
    h = auth(keys.analyst)
    chains = client.get("/chains", headers=h).json()
    assert [(c["id"], c["segments"]) for c in chains["items"]] == [("auto", 3), ("pharma", 1)]
    m = client.get("/chains/auto", headers=h).json()
    assert [s["id"] for s in m["segments"]] == ["mining", "materials", "assembly"]
    members = client.get("/chains/auto/segments/assembly/members", headers=h).json()
    assert {(r["label"], r["id"]) for r in members["rows"]} == {("Firm", "A1"), ("Product", "car")}
    assert client.get("/chains/ghost", headers=h).status_code == 404


def test_export_csv_zip_and_graphml(client: TestClient, keys: Keys) -> None:
    h = auth(keys.analyst)
    r = client.get("/exports", params={"format": "csv"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "Firm.csv" in names and "SUPPLIES__Firm__Firm.csv" in names


def test_export_graphml(client: TestClient, keys: Keys) -> None:
    h = auth(keys.analyst)
    g = client.get("/exports", params={"format": "graphml"}, headers=h)
    assert g.status_code == 200 and b"<graphml" in g.content and b"Firm:P1" in g.content


def test_openapi_documents_models_tags_and_problems(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("tags"), f"{method} {path} has no tag"
            codes = set(op["responses"])
            ok = {c for c in codes if c.startswith("2")}
            assert ok, f"{method} {path} documents no success status"
            if path != "/health":
                assert "401" in codes and "422" in codes, f"{method} {path} lacks problem responses"
    assert spec["paths"]["/analysis/runs"]["post"]["responses"].get("202")
    problem = spec["components"]["schemas"]["ProblemPublic"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
