"""Ingest through the API: upload a file and its mapping, load as a job, read the report."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import ClientFactory, Keys, auth
from tests.api.test_analysis import _finish

MAPPING = Path(__file__).resolve().parents[2] / "ingest" / "mappings" / "firms_zh.yaml"
CSV = (
    "统一社会信用代码,企业名称,英文名称,是否国企,省份,曾用名\n"
    "91110000100000001X,北京钢铁有限公司,Beijing Steel,是,北京,京钢;北钢\n"
    "91320000100000002Y,江苏芯片股份公司,Jiangsu Chips,否,江苏,苏芯\n"
).encode()


def _upload(client, key: str, dry_run: bool) -> dict:
    files = {
        "file": ("firms.csv", CSV, "text/csv"),
        "mapping": ("firms_zh.yaml", MAPPING.read_bytes()),
    }
    r = client.post(
        "/ingest", files=files, data={"dry_run": str(dry_run).lower()}, headers=auth(key)
    )
    assert r.status_code == 202, r.text
    return _finish(client, key, r.json()["id"])


def test_dry_run_validates_without_writing(
    tmp_path: Path, make_client: ClientFactory, keys: Keys
) -> None:
    client = make_client(store_path=tmp_path / "ingest.db")
    job = _upload(client, keys.analyst, dry_run=True)
    assert job["state"] == "succeeded" and job["result_kind"] == "ingest"
    report = client.get(f"/ingest/runs/{job['result_id']}", headers=auth(keys.analyst)).json()
    assert report["summary"]["rows_read"] == 2 and report["summary"]["dry_run"] is True
    assert (
        client.get("/firms", params={"q": "北京"}, headers=auth(keys.analyst)).json()["total"] == 0
    )


def test_upload_loads_firms_and_is_audited(
    tmp_path: Path, make_client: ClientFactory, keys: Keys
) -> None:
    client = make_client(store_path=tmp_path / "ingest.db")
    job = _upload(client, keys.analyst, dry_run=False)
    assert job["state"] == "succeeded", job
    h = auth(keys.analyst)
    report = client.get(f"/ingest/runs/{job['result_id']}", headers=h).json()
    assert report["summary"]["loaded"] == 2 and report["summary"]["rejected"] == 0
    assert report["tables"] == {"entities": 1, "rejects": 0}
    entities = client.get(f"/ingest/runs/{job['result_id']}/tables/entities", headers=h).json()
    assert entities["rows"][0]["entity"] == "Firm" and entities["rows"][0]["loaded"] == 2
    firm = client.get("/firms/uscc:91110000100000001X", headers=h).json()
    assert (
        firm["properties"]["name"] == "北京钢铁有限公司"
        and firm["properties"]["ownership"] == "SOE"
    )
    assert client.get("/firms", params={"q": "Jiangsu"}, headers=h).json()["total"] == 1
    audit = client.get("/admin/audit", headers=auth(keys.admin)).json()
    assert any(a["action"] == "start-ingest" and a["role"] == "analyst" for a in audit)
