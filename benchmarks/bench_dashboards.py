"""Benchmark: time to the first meaningful view of the dashboards on a national-scale graph.

Writes the synthetic graph (``ingest.synthetic.scale``) into an embedded store (or reuses
``--store``), serves the Dash app on 127.0.0.1 and opens chain overviews in headless
Chromium, timing from navigation until the overview figure is drawn (its ``.main-svg``):

* ``first view, nothing cached``: a new browser profile opens ``/`` (the default chain) on
  a freshly started app without warm-up, in a fresh process: the chain's map, its figure
  and the process's first plotly figure are computed for this visitor;
* ``another chain, warm browser``: the same browser (bundles cached), a chain the server
  computes afresh;
* ``first visitor after start-up``: a new browser profile opens ``/`` once the start-up
  warm-up (:meth:`dashboards.context.DashContext.warm_up`, a background thread) has
  computed the default chain's view; the warm-up time is printed too;
* ``same chain again``: the default chain again (browser and server caches warm).

Baseline in the same run: the ``chain_map`` service call alone on another chain of the same
store (services' cache emptied), so the ratios show what the page adds to the computation.
Target: first meaningful view <= 2 s.

Run from the repository root: ``PYTHONPATH=. python benchmarks/bench_dashboards.py [--scale 1]``
(``--store FILE`` keeps the written graph for the next run).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browser(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
    ):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def _time_view(driver: Any, url: str, timeout: float = 120.0) -> float:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from dashboards import ids

    t0 = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, timeout, poll_frequency=0.02).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"#{ids.OV_GRAPH} .main-svg")
    )
    return time.perf_counter() - t0


def _serve(app: Any) -> tuple[Any, str]:
    from werkzeug.serving import make_server

    port = _free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}/?lang=en"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of the national size")
    ap.add_argument("--store", type=Path, default=None, help="reuse this embedded store file")
    ap.add_argument("--quick", action="store_true", help="= --scale 0.05")
    args = ap.parse_args()
    scale = 0.05 if args.quick else args.scale

    from chain_brain.services.cache import view_cache
    from chain_brain.services.chains import chain_map
    from chain_brain.settings import Settings
    from chain_brain.store import open_store
    from dashboards.app import create_dash_app
    from ingest.synthetic import scale as generate

    work = Path(tempfile.mkdtemp(prefix="bench-dash-"))
    path = args.store or work / "national.db"
    store = open_store(path)
    if store.counts().get("Firm", 0) == 0:
        t0 = time.perf_counter()
        data = generate(scale, 0)
        store.init()
        store.write(data)
        print(f"wrote the synthetic graph at scale {scale} in {time.perf_counter() - t0:.1f} s")
    counts = store.counts()
    print(f"store: {counts['Firm']:,} firms, {counts['SUPPLIES']:,} supply edges")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log lines in the table

    # Dash Pages keep one page registry per process: the apps are made and served one at a
    # time, and the services' view cache is emptied between them.
    cold_app = create_dash_app(Settings(store=str(path)), store=open_store(path), warm_up=False)
    ctx = cold_app.server.config["chain_brain_context"]
    default = ctx.chain_for(ctx.local_principal, None)
    others = [c.id for c in ctx.chains(ctx.local_principal) if c.id != default]
    other_chain, base_chain = others[0], others[1]
    server, url = _serve(cold_app)
    try:
        driver = _browser(work / "profile-1")
        try:
            cold = _time_view(driver, url)
            other = _time_view(driver, f"{url}&chain={other_chain}")
        finally:
            driver.quit()
    finally:
        server.shutdown()

    view_cache().clear()
    t0 = time.perf_counter()
    cmap = chain_map(store, base_chain)
    service_s = time.perf_counter() - t0
    print(f"default chain {default}; baseline chain {base_chain}: {len(cmap.members):,} members")

    view_cache().clear()
    t0 = time.perf_counter()
    warm_app = create_dash_app(Settings(store=str(path)), store=open_store(path))
    warm_app.server.config["chain_brain_context"].ready.wait(600)
    warm_up_s = time.perf_counter() - t0
    server, url = _serve(warm_app)
    try:
        driver = _browser(work / "profile-2")
        try:
            first = _time_view(driver, url)
            again = _time_view(driver, url)
        finally:
            driver.quit()
    finally:
        server.shutdown()

    rows = [
        ("chain_map service call (baseline)", service_s),
        ("first visitor after start-up (new browser)", first),
        ("first view, nothing cached (new browser)", cold),
        ("another chain, warm browser", other),
        ("same chain again (cached)", again),
    ]
    print(f"\nstart-up warm-up of the default chain's view: {warm_up_s:.2f} s (background)")
    print(f"{'measure':<45} {'seconds':>8} {'x service':>10}")
    for name, secs in rows:
        print(f"{name:<45} {secs:8.2f} {secs / service_s:10.1f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    verdict = "met" if first <= 2.0 else "NOT met"
    print(
        f"\nfirst meaningful view <= 2 s after start-up: {verdict} ({first:.2f} s); "
        f"with nothing cached {cold:.2f} s"
    )


if __name__ == "__main__":
    main()
