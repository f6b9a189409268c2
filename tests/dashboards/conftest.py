"""Fixtures of the dashboard tests: one sample store per session, the app served on a free
port in a background thread, and a headless Chromium driven by selenium.

Without chromium/chromedriver the browser tests skip locally and FAIL when ``CI`` is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from chain_brain.services.loading import load_sample
from chain_brain.services.security import KeyRing, Role
from chain_brain.settings import Settings
from chain_brain.store import GraphStore, Scope, open_store
from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
OTHER_CHAIN = "chain:test-other"
LEAD_FIRM = "gem:E100001000703"  # Steel Authority of India Ltd, a steel maker of the sample


def _other_chain() -> GraphData:
    """A second, tiny chain, so that a chain-lead bound to steel has something to be refused."""
    chain = pd.DataFrame(
        {"id": [OTHER_CHAIN], "name_en": ["Other chain"], "name_zh": ["另一产业链"]}
    )
    seg = pd.DataFrame(
        {
            "id": [f"{OTHER_CHAIN}:seg"],
            "chain": [OTHER_CHAIN],
            "name_en": ["Only segment"],
            "name_zh": ["唯一环节"],
            "position": ["upstream"],
            "order": [0],
        }
    )
    part = pd.DataFrame({"src": [f"{OTHER_CHAIN}:seg"], "dst": [OTHER_CHAIN], "key": [""]})
    chain, seg, part = (
        f.assign(
            source="dashboard tests",
            snapshot="dashboard-tests",
            loaded_at="2026-01-01T00:00:00Z",
            confidence=1.0,
        )
        for f in (chain, seg, part)
    )
    return GraphData(
        [NodeFrame(NodeLabel.CHAIN, chain), NodeFrame(NodeLabel.CHAIN_SEGMENT, seg)],
        [RelFrame(RelType.PART_OF, NodeLabel.CHAIN_SEGMENT, NodeLabel.CHAIN, part)],
    )


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The bundled sample plus a second small chain, loaded once per session."""
    store = open_store(tmp_path_factory.mktemp("dash") / "sample.db")
    load_sample(store)
    store.write(_other_chain())
    _save_analyses(store)
    yield store
    store.close()


def _save_analyses(store: GraphStore) -> None:
    """Two real analysis runs of the steel chain through the analysis service, the second
    with a lower chokepoint score threshold, so that it flags chokepoints the first did not."""
    from chain_brain.analytics.chokepoints import ChokepointParams
    from chain_brain.analytics.results import AnalysisParams
    from chain_brain.services.analysis import AnalysisRequest, analyse

    for score_high in (0.5, 0.2):
        params = AnalysisParams(chokepoints=ChokepointParams(score_high=score_high))
        analyse(store, AnalysisRequest(scope=Scope(chain="chain:steel"), params=params))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    lead_key: str
    analyst_key: str


@pytest.fixture(scope="session")
def served(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Served:
    """The dashboard with API keys required, served on 127.0.0.1 in a daemon thread."""
    from werkzeug.serving import make_server

    from dashboards.app import create_dash_app

    keys = tmp_path_factory.mktemp("keys") / "keys.json"
    ring = KeyRing(keys)
    _, lead = ring.create(Role.CHAIN_LEAD, chain="chain:steel", firm=LEAD_FIRM)
    _, analyst = ring.create(Role.ANALYST)
    app = create_dash_app(Settings(api_keys_file=str(keys)), store=sample_store)
    port = _free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    assert app.server.config["chain_brain_context"].ready.wait(120), "dashboard warm-up hung"
    return Served(f"http://127.0.0.1:{port}", lead, analyst)


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(Path(path).name)):
            return f"{path} is not installed"
    return None


@pytest.fixture(scope="session")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A headless Chromium with browser console logging and a fresh profile."""
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need chromium and chromedriver in CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else str(shutil.which("chromedriver"))
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Network.enable", {})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def use_key(driver: object, key: str) -> None:
    """Send ``X-API-Key: key`` with every request of ``driver`` from now on."""
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"X-API-Key": key}})  # type: ignore[attr-defined]


def settle(driver: object, timeout: float = 20.0) -> None:
    """Wait until Dash has rendered the page and no callback is pending."""
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d: object) -> bool:
        return bool(
            d.execute_script(  # type: ignore[attr-defined]
                "return !!document.querySelector('#_pages_content') && "
                "!document.querySelector('._dash-loading-callback') && "
                "!document.querySelector('.dash-spinner');"
            )
        )

    WebDriverWait(driver, timeout, poll_frequency=0.2).until(ready)
    time.sleep(0.4)
