"""Chain leads' views are computed before their first read and again after a change."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from chain_brain.services.cache import view_cache
from chain_brain.services.warmup import ViewWarmer, warm_chain_views
from chain_brain.store import GraphStore
from graph_schema.frames import GraphData
from sample_graphs import _nodes


def _wait(cond, timeout: float = 60.0) -> bool:  # noqa: ANN001
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_the_api_warms_the_chain_bound_to_a_lead_key(store: GraphStore, client: TestClient) -> None:
    warmer = client.app.state.warmer  # type: ignore[attr-defined]
    assert warmer.ready.wait(60)
    # the lead key of the test keys file is bound to chain "auto"; nothing asked for it yet
    assert view_cache().peek(store, "chain_map", ("auto", None)) is not None
    assert warmer.last is not None and warmer.last.chains == 1 and warmer.last.failed == 0
    # a chain no key is bound to is left for its first reader
    assert view_cache().peek(store, "chain_map", ("pharma", None)) is None


def test_a_change_to_the_graph_is_warmed_again(store: GraphStore) -> None:
    warmer = ViewWarmer(store, ["auto"], interval=0.05).start()
    try:
        assert warmer.ready.wait(60)
        before = store.revision()
        assert _wait(lambda: warmer.last is not None and warmer.last.revision == before)
        store.write(
            GraphData([_nodes("Firm", snapshot="warm", id=["warm-newcomer"], name=["Newcomer"])])
        )
        after = store.revision()
        assert after != before
        assert _wait(lambda: warmer.last is not None and warmer.last.revision == after)
        assert view_cache().peek(store, "chain_map", ("auto", None)) is not None
    finally:
        warmer.stop()
        store.delete_snapshot("warm")


def test_an_unknown_chain_is_counted_not_raised(store: GraphStore) -> None:
    report = warm_chain_views(store, ["auto", "no-such-chain", "auto"])
    assert (report.chains, report.failed) == (1, 1)
    assert report.revision == store.revision()
