"""A user's own tables through `chain-brain ingest`: GB18030 Chinese firms, then supply edges
that point at them, with bad rows kept as rejects and nothing lost."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chain_brain.store import open_store
from sample_graphs import survey

MAPPINGS = Path(__file__).resolve().parents[1] / "ingest" / "mappings"


def firms_file(tmp_path: Path) -> Path:
    text = (
        "统一社会信用代码,企业名称,英文名称,是否国企,省份,曾用名\n"
        "91110000100001,宝山钢铁股份有限公司,Baoshan Iron & Steel,是,上海,宝钢股份\n"
        "91320000200002,江苏沙钢集团有限公司,Jiangsu Shagang,否,江苏,\n"
        "91130000300003,河钢集团有限公司,HBIS Group,是,河北,唐钢;邯钢\n"
    )
    path = tmp_path / "firms.csv"
    path.write_bytes(text.encode("gb18030"))
    return path


def edges_file(tmp_path: Path) -> Path:
    path = tmp_path / "edges.csv"
    path.write_text(
        "supplier_id,supplier_name,customer_id,products,volume_t,lead_time_days,since\n"
        "91130000300003,河钢集团有限公司,91110000100001,rebar;wire-rod,\"1,200\",14,2021-03-01\n"
        "91320000200002,江苏沙钢集团有限公司,91110000100001,rebar,800,7,2022/01/15\n"
        "91320000200002,江苏沙钢集团有限公司,99999999999999,rebar,500,7,2022-01-15\n"
        "91320000200002,江苏沙钢集团有限公司,91130000300003,plate,-5,7,2022-01-15\n",
        encoding="utf-8",
    )
    return path


def edges_mapping(tmp_path: Path) -> Path:
    """The example supplier mapping, keyed by the register's credit codes."""
    text = (MAPPINGS / "supply_edges.yaml").read_text(encoding="utf-8").replace('"firm:{', '"uscc:{')
    path = tmp_path / "edges.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_tables_load_with_rejects_kept(tmp_path: Path, cli) -> None:
    db = str(tmp_path / "user.db")
    code, out, _ = cli("ingest", str(firms_file(tmp_path)), "--mapping", str(MAPPINGS / "firms_zh.yaml"), "--store", db)
    assert code == 0, out
    store = open_store(db)
    firm = store.get_node("Firm", "uscc:91130000300003")
    assert firm["name"] == "河钢集团有限公司" and firm["ownership"] == "SOE"
    assert firm["aliases"] == ["唐钢", "邯钢"]

    rejects = tmp_path / "rejects.csv"
    args = ["ingest", str(edges_file(tmp_path)), "--mapping", str(edges_mapping(tmp_path)),
            "--store", db, "--rejects", str(rejects), "--max-reject-share", "0.5"]
    code, out, _ = cli(*args)
    assert code == 0, out
    # 1,200 t of rebar and of wire rod from HBIS; 800 t from Shagang: three edges written
    assert store.counts()["SUPPLIES"] == 3
    bad = pd.read_csv(rejects)
    reasons = {(int(r.line), r.column, r.reason) for r in bad.itertuples()}
    assert (4, "dst", "unknown_Firm") in reasons  # line 4: customer 99999999999999 unknown
    assert (5, "volume", "below_minimum") in reasons  # line 5: -5 t
    # loading the same file again changes nothing
    cli(*args)
    assert store.counts()["SUPPLIES"] == 3


def test_dry_run_writes_nothing_and_a_high_reject_share_fails(tmp_path: Path, cli) -> None:
    db = str(tmp_path / "dry.db")
    code, out, _ = cli("ingest", str(firms_file(tmp_path)), "--mapping", str(MAPPINGS / "firms_zh.yaml"), "--store", db, "--dry-run")
    assert code == 0 and "validated" in out
    assert open_store(db).counts()["Firm"] == 0
    code, _, err = cli("ingest", str(edges_file(tmp_path)), "--mapping", str(edges_mapping(tmp_path)),
                       "--store", db, "--rejects", str(tmp_path / "r.csv"))
    assert code == 1  # every edge points at firms the store does not have
    assert "rejected" in err


def test_wrong_encoding_names_the_file(tmp_path: Path, cli) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("统一社会信用代码,企业名称\n".encode("utf-16"))
    code, _, err = cli("ingest", str(path), "--mapping", str(MAPPINGS / "firms_zh.yaml"), "--store", str(tmp_path / "x.db"))
    assert code == 2
    assert "latin.csv" in err


def test_resolve_merges_two_spellings_and_undo_merges_restores_them(tmp_path: Path, cli) -> None:
    db = str(tmp_path / "survey.db")
    path, mapping = survey(
        tmp_path,
        "survey.csv",
        [
            'S1,"Catcher Technology Co., Ltd.",C1,Northwind Computers Inc.,chassis,2020-01-01',
            "S2,CATCHER TECHNOLOGY COMPANY LIMITED,C2,Blue Harbor Devices Corp.,housing,2020-01-01",
        ],
    )
    code, out, err = cli("ingest", str(path), "--mapping", str(mapping), "--store", db, "--resolve",
                         "--rejects", str(tmp_path / "r.csv"))
    assert code == 0, err
    assert "1 firms merged" in out
    store = open_store(db)
    assert store.counts()["Firm"] == 3  # S2 merged into S1
    run_id = store.list_runs("resolution")[0].id
    assert run_id in out  # the report names the run that undoes it
    code, out, err = cli("undo-merges", run_id, "--store", db)
    assert code == 0, err
    assert "undid 1 merge" in out
    assert store.counts()["Firm"] == 4
    assert store.get_node("Firm", "f:S2")["name"] == "CATCHER TECHNOLOGY COMPANY LIMITED"
    code, _, err = cli("undo-merges", run_id, "--store", db)
    assert code == 2 and run_id in err  # already undone: a clear error naming the run
