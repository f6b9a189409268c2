"""The command line end to end on a real embedded store (in-process, through ``main``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graph_schema.migrations import SCHEMA_VERSION


def test_init_and_status_on_a_new_store(tmp_path: Path, cli) -> None:
    db = tmp_path / "new.db"
    code, out, _ = cli("init", "--store", str(db))
    assert code == 0 and f"schema version {SCHEMA_VERSION}" in out
    code, out, _ = cli("status", "--store", str(db))
    assert code == 0 and "0 nodes, 0 relationships" in out


def test_init_migrates_a_store_of_an_older_schema_version(tmp_path: Path, cli) -> None:
    import sqlite3

    db = tmp_path / "old.db"
    assert cli("init", "--store", str(db))[0] == 0
    with sqlite3.connect(db) as con:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    code, out, err = cli("status", "--store", str(db))
    assert code == 2 and "run `chain-brain init` to migrate it" in " ".join((out + err).split())
    code, out, _ = cli("init", "--store", str(db))
    assert code == 0 and f"schema version {SCHEMA_VERSION}" in out
    code, out, _ = cli("status", "--store", str(db))
    assert code == 0 and f"schema version {SCHEMA_VERSION} (code {SCHEMA_VERSION})" in out


def test_unknown_store_scheme_is_one_clear_error(cli) -> None:
    code, out, err = cli("status", "--store", "mongodb://localhost/x")
    assert code == 2
    assert "Unknown store URI scheme 'mongodb'" in err
    assert "Traceback" not in err + out


def test_unreachable_neo4j_is_one_clear_error(cli) -> None:
    code, _, err = cli("status", "--store", "bolt://127.0.0.1:1")
    assert code == 2
    assert "bolt://127.0.0.1:1" in err


def test_status_counts_the_sample(sample_db: Path, cli) -> None:
    code, out, _ = cli("status", "--store", str(sample_db))
    assert code == 0
    assert "Plant" in out and "868" in out  # every GEM operating plant


def test_export_csv_and_graphml(sample_store, tmp_path: Path, cli) -> None:
    out_dir = tmp_path / "csv"
    code, _, _ = cli("export", str(out_dir), "--store", sample_store.uri, "--chain", "chain:steel")
    assert code == 0
    segments = pd.read_csv(out_dir / "ChainSegment.csv")
    assert len(segments) == 5
    graphml = tmp_path / "apple.graphml"
    code, _, _ = cli(
        "export",
        str(graphml),
        "--format",
        "graphml",
        "--store",
        sample_store.uri,
        "--focus",
        "apple:apple-inc",
        "--tiers",
        "1",
        "--direction",
        "up",
        "--as-of",
        "2022-06-30",
    )
    assert code == 0
    import networkx as nx

    g = nx.read_graphml(graphml)
    apple_in = g.in_degree("Firm:apple:apple-inc")
    assert 150 <= apple_in <= 250  # Apple listed about 190 suppliers in 2022


def test_bad_direction_is_refused(sample_db: Path, tmp_path: Path, cli) -> None:
    code, _, err = cli(
        "export",
        str(tmp_path / "x"),
        "--store",
        str(sample_db),
        "--focus",
        "apple:apple-inc",
        "--direction",
        "sideways",
    )
    assert code != 0
    assert "sideways" in err


def test_analyse_prints_and_exports(sample_store, tmp_path: Path, cli) -> None:
    code, out, _ = cli(
        "analyse",
        "--store",
        sample_store.uri,
        "--chain",
        "chain:steel",
        "--out",
        str(tmp_path / "res"),
    )
    assert code == 0
    assert "Product chokepoints" in out and "Weak links" in out
    chokepoints = pd.read_csv(tmp_path / "res" / "chokepoints.csv")
    assert "steel:crude-steel" in set(chokepoints["product_id"])
    assert len(sample_store.list_runs("analysis")) == 1


def test_synthetic_graph_loads_and_analyses(tmp_path: Path, cli) -> None:
    db = str(tmp_path / "syn.db")
    code, out, _ = cli("synthetic", "--scale", "0.005", "--store", db)
    assert code == 0 and "wrote" in out
    from chain_brain.store import open_store

    counts = open_store(db).counts()
    assert counts["Firm"] == 750 and counts["SUPPLIES"] > 0
    code, out, _ = cli("analyse", "--store", db, "--top", "3")
    assert code == 0 and "Product chokepoints" in out
    code, _, err = cli("synthetic", "--scale", "5", "--store", db)
    assert code != 0 and "--scale" in err


def test_demo_is_the_readme_main_job(tmp_path: Path, cli) -> None:
    db = tmp_path / "demo.db"
    code, out, err = cli("demo", "--store", str(db), "--top", "3")
    assert code == 0, err
    for step in ("1. load", "2. the steel chain", "3. chokepoints", "4. Apple", "5. what-if"):
        assert step in out
    assert "钢铁" not in out or "炼钢" in out  # the segment table is printed with its names
    assert "Crude steel" in out or "steel:crude-steel" in out
    assert (
        "lost 2.0 of 6.0 demanded" in out
    )  # Apple: 6 weeks down, 2 weeks own + 2 weeks supplier stock
    from chain_brain.store import open_store

    store = open_store(db)
    assert {r.kind for r in store.list_runs()} >= {"analysis", "scenario"}


def _strengthen_apple(store_uri: str) -> list[str]:
    """`strengthen` of Apple's first tier in mid-2022 with a budget of 5, without twins."""
    return [
        "strengthen",
        "--budget",
        "5",
        "--store",
        store_uri,
        "--focus",
        "apple:apple-inc",
        "--tiers",
        "1",
        "--as-of",
        "2022-06-30",
        "--no-twins",
    ]


def test_strengthen_funds_stock_at_the_chain_lead(sample_store, cli) -> None:
    code, out, err = cli(*_strengthen_apple(sample_store.uri))
    assert code == 0, err
    # Apple holds 2 weeks of stock and is the weakest node; one more week lifts it to 3
    assert "weakest time to survive 2.0 -> 3.0 weeks" in out
    assert len(sample_store.list_runs("strengthening")) == 1


def test_strengthen_against_the_worst_loss_and_a_bad_objective(sample_store, cli) -> None:
    args = _strengthen_apple(sample_store.uri)
    code, out, err = cli(*args, "--objective", "min_worst_loss")
    assert code == 0, err
    assert "worst single-node loss" in out
    (run,) = sample_store.list_runs("strengthening")
    assert run.summary["objective"] == "min_worst_loss"
    assert run.summary["worst_loss_after"] <= run.summary["worst_loss_before"]
    code, _, err = cli(*args, "--objective", "cheapest")
    assert code == 2 and "cheapest" in err
