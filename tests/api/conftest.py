"""Fixtures of the API tests: a small two-chain graph, keys of every role, clients."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from chain_brain.api import create_app
from chain_brain.graph.samples import graph_data, toy_chain
from chain_brain.services.security import KeyRing
from chain_brain.settings import Settings
from chain_brain.store import GraphStore, open_store
from graph_schema.frames import GraphData, NodeFrame, RelFrame, with_provenance
from graph_schema.model import NodeLabel as L
from graph_schema.model import RelType as R

T0 = "2026-01-01T00:00:00Z"


def _provenance(data: GraphData) -> GraphData:
    def prov(df: pd.DataFrame) -> pd.DataFrame:
        return with_provenance(df, source="api-test", snapshot="s1", loaded_at=T0)

    return GraphData(
        [NodeFrame(nf.label, prov(nf.data)) for nf in data.nodes],
        [RelFrame(rf.type, rf.src_label, rf.dst_label, prov(rf.data)) for rf in data.rels],
    )


@cache
def two_chains() -> GraphData:
    """The toy car chain ``auto`` (see ``toy_chain``) plus a one-firm chain ``pharma``:
    firm P1 (药业公司, CHN, region JS) makes ``drug``; M1 ships it ore (volume 5)."""
    data = toy_chain()
    extra = graph_data(
        {
            L.FIRM: [
                {
                    "id": "P1",
                    "name": "药业公司",
                    "name_en": "Pharma One",
                    "country": "CHN",
                    "region": "JS",
                }
            ],
            L.PRODUCT: [{"id": "drug", "name_en": "drug", "name_zh": "药品"}],
            L.CHAIN: [{"id": "pharma", "name_en": "pharmaceuticals"}],
            L.CHAIN_SEGMENT: [
                {
                    "id": "api",
                    "chain": "pharma",
                    "name_en": "active ingredients",
                    "position": "upstream",
                    "order": 0,
                }
            ],
        },
        [
            (R.PRODUCES, L.FIRM, L.PRODUCT, [{"src": "P1", "dst": "drug", "capacity": 10}]),
            (R.IN_SEGMENT, L.PRODUCT, L.CHAIN_SEGMENT, [{"src": "drug", "dst": "api"}]),
            (
                R.SUPPLIES,
                L.FIRM,
                L.FIRM,
                [{"src": "M1", "dst": "P1", "product": "ore", "volume": 5.0}],
            ),
        ],
    )
    data.extend(extra)
    return _provenance(data)


@dataclass
class Keys:
    admin: str
    analyst: str
    lead: str  # chain-lead of chain auto, firm A1
    viewer: str
    file: Path


@pytest.fixture(scope="session")
def session_keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    """Keys of every role, made once (scrypt is slow on purpose)."""
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    ring = KeyRing(path)
    return Keys(
        admin=ring.create("admin")[1],
        analyst=ring.create("analyst", "gov")[1],
        lead=ring.create("chain-lead", "auto-lead", chain="auto", firm="A1")[1],
        viewer=ring.create("viewer")[1],
        file=path,
    )


@pytest.fixture
def keys(session_keys: Keys, tmp_path: Path) -> Keys:
    """The session's keys in a keys file of this test's own (tests may revoke keys)."""
    path = tmp_path / "keys.json"
    shutil.copyfile(session_keys.file, path)
    return replace(session_keys, file=path)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(keys: Keys, tmp_path: Path) -> Iterator[ClientFactory]:
    """Start an app on a given store with optional settings overrides; stopped at teardown."""
    opened: list[TestClient] = []

    def make(store: GraphStore | None = None, **overrides: object) -> TestClient:
        settings = Settings(
            store=str(overrides.pop("store_path", tmp_path / "api.db")),
            api_keys_file=str(keys.file),
            **overrides,  # type: ignore[arg-type]
        )
        client = TestClient(create_app(settings, store=store))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for c in reversed(opened):
        c.__exit__(None, None, None)


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    """Each backend holding :func:`two_chains`, written once per module.

    The API tests only add runs (scenarios, audit records, jobs) to it, never change the
    graph, so the tests of one module share it (overrides the per-test ``store``).
    """
    if request.param == "embedded":
        s = open_store(tmp_path_factory.mktemp("api-store") / "store.db")
        s.init()
    else:
        s = request.getfixturevalue("neo4j_store")
        s.clear()
    s.write(two_chains())
    yield s
    if request.param == "embedded":
        s.close()
    else:
        s.clear()


@pytest.fixture
def client(store: GraphStore, make_client: ClientFactory) -> TestClient:
    """An app over each backend holding :func:`two_chains`."""
    return make_client(store)


@pytest.fixture(scope="module")
def embedded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The embedded store holding :func:`two_chains`, for rules that do not depend on the
    backend (keys, roles, limits, jobs)."""
    s = open_store(tmp_path_factory.mktemp("api-embedded") / "store.db")
    s.init()
    s.write(two_chains())
    yield s
    s.close()


@pytest.fixture
def app_client(embedded_store: GraphStore, make_client: ClientFactory) -> TestClient:
    return make_client(embedded_store)
