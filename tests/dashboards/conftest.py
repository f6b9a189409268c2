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
from chain_brain.services.security import KeyRing, Principal, Role, view_for
from chain_brain.settings import Settings
from chain_brain.store import GraphStore, RunRecord, Scope, open_store
from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
OTHER_CHAIN = "chain:test-other"
OTHER_FIRM = "test-other:firm"
OTHER_PLANT = "test-other:plant"
OTHER_TENANT = f"chain:{OTHER_CHAIN}"  # the tenant of a key bound to the other chain
OTHER_RUN = "test-other-tenant-run"
LEAD_FIRM = "gem:E100001000703"  # Steel Authority of India Ltd, a steel maker of the sample
#: Ids and names a chain lead of steel must never receive: the other chain's firm, plant
#: and runs, and a firm of the sample outside the steel chain.
SECRETS = (
    OTHER_FIRM,
    "Zeta Hidden Metals",
    OTHER_PLANT,
    "Zeta Hidden Smelter",
    "test-other:product",
    OTHER_RUN,
    "Zeta secret scenario",
    "apple:apple-inc",
    "Apple Inc.",
    OTHER_CHAIN,
    "Other chain",
    "另一产业链",
)


def _other_chain() -> GraphData:
    """A second, tiny chain (one segment, product, firm and plant), so that a chain-lead
    bound to steel has something to be refused."""
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
    product = pd.DataFrame({"id": ["test-other:product"], "name_en": ["Zeta hidden alloy"]})
    firm = pd.DataFrame({"id": [OTHER_FIRM], "name": ["Zeta Hidden Metals"], "country": ["ISL"]})
    plant = pd.DataFrame(
        {
            "id": [OTHER_PLANT],
            "name": ["Zeta Hidden Smelter"],
            "country": ["ISL"],
            "lat": [64.1],
            "lon": [-21.9],
        }
    )
    in_seg = pd.DataFrame(
        {"src": ["test-other:product"], "dst": [f"{OTHER_CHAIN}:seg"], "key": [""]}
    )
    produces = pd.DataFrame(
        {
            "src": [OTHER_PLANT],
            "dst": ["test-other:product"],
            "key": ["EAF"],
            "process": ["EAF"],
            "capacity": [900.0],
            "unit": ["kt"],
            "period": ["year"],
        }
    )
    operates = pd.DataFrame({"src": [OTHER_FIRM], "dst": [OTHER_PLANT], "key": [""]})
    frames = [
        f.assign(
            source="dashboard tests",
            snapshot="dashboard-tests",
            loaded_at="2026-01-01T00:00:00Z",
            confidence=1.0,
        )
        for f in (chain, seg, part, product, firm, plant, in_seg, produces, operates)
    ]
    chain, seg, part, product, firm, plant, in_seg, produces, operates = frames
    return GraphData(
        [
            NodeFrame(NodeLabel.CHAIN, chain),
            NodeFrame(NodeLabel.CHAIN_SEGMENT, seg),
            NodeFrame(NodeLabel.PRODUCT, product),
            NodeFrame(NodeLabel.FIRM, firm),
            NodeFrame(NodeLabel.PLANT, plant),
        ],
        [
            RelFrame(RelType.PART_OF, NodeLabel.CHAIN_SEGMENT, NodeLabel.CHAIN, part),
            RelFrame(RelType.IN_SEGMENT, NodeLabel.PRODUCT, NodeLabel.CHAIN_SEGMENT, in_seg),
            RelFrame(RelType.PRODUCES, NodeLabel.PLANT, NodeLabel.PRODUCT, produces),
            RelFrame(RelType.OPERATES, NodeLabel.FIRM, NodeLabel.PLANT, operates),
        ],
    )


def _other_tenant_runs(store: GraphStore) -> None:
    """A scenario and an analysis run of the other chain's tenant, naming its nodes."""
    impact = pd.DataFrame({"node": [OTHER_PLANT], "name": ["Zeta Hidden Smelter"], "loss": [1.0]})
    store.save_run(
        RunRecord(
            kind="scenario",
            id=OTHER_RUN,
            params={"name": "Zeta secret scenario", "scope": {"chain": OTHER_CHAIN}},
            summary={"loss": 1.0, "ttr_weeks": 9.0, "tts_weeks": 1.0},
            tables={"impact": impact, "disrupted": pd.DataFrame({"id": [OTHER_PLANT]})},
            tenant=OTHER_TENANT,
        )
    )
    chokepoints = pd.DataFrame(
        {
            "finding_id": ["zeta-1"],
            "product_id": ["test-other:product"],
            "name": ["Zeta Hidden Metals"],
            "score": [0.9],
            "is_chokepoint": [True],
            "reason": ["sole supplier Zeta Hidden Metals"],
        }
    )
    store.save_run(
        RunRecord(
            kind="analysis",
            id=OTHER_RUN + "-analysis",
            params={"scope": {"chain": OTHER_CHAIN}},
            summary={},
            tables={"chokepoints": chokepoints},
            tenant=OTHER_TENANT,
        )
    )


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The bundled sample plus a second small chain, loaded once per session."""
    store = open_store(tmp_path_factory.mktemp("dash") / "sample.db")
    load_sample(store)
    store.write(_other_chain())
    _save_analyses(store)
    _other_tenant_runs(store)
    yield store
    store.close()


#: Who the chain-lead key of :func:`served` is (its key id aside).
LEAD = Principal("tests", Role.CHAIN_LEAD, chain="chain:steel", firm=LEAD_FIRM)


def _save_analyses(store: GraphStore) -> None:
    """Real analysis runs of the steel chain through the analysis service: first one filed
    under the chain lead's tenant (as the API runs it for a chain-lead key), then two
    unbound ones, the second with a lower chokepoint score threshold, so that it flags
    chokepoints the first did not."""
    from chain_brain.analytics.chokepoints import ChokepointParams
    from chain_brain.analytics.results import AnalysisParams
    from chain_brain.services.analysis import AnalysisRequest, analyse

    own = AnalysisRequest(scope=Scope(chain="chain:steel"), tenant=LEAD.tenant_key)
    analyse(view_for(store, LEAD, redacted=False), own)
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
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_DASH})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


#: Keeps the text of every answer of the Dash server (layout, callbacks) that the page
#: receives in ``window.__dashAnswers``, to check what reached the browser.
RECORD_DASH = """
window.__dashAnswers = [];
const _fetch = window.fetch;
window.fetch = async (...args) => {
  const answer = await _fetch(...args);
  const url = String(args[0] && args[0].url ? args[0].url : args[0]);
  if (url.includes('/_dash-')) {
    answer.clone().text().then(text => window.__dashAnswers.push(url + ' ' + text));
  }
  return answer;
};
"""


def dash_answers(driver: object) -> str:
    """Everything the Dash server sent to the current page so far, as one text."""
    return "\n".join(driver.execute_script("return window.__dashAnswers || []"))  # type: ignore[attr-defined]


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
