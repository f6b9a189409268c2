"""Benchmark: time to the first meaningful view of the dashboards on a national-scale graph.

Writes the synthetic graph (``ingest.synthetic.scale``) into an embedded store (or reuses
``--store``), serves the Dash app on 127.0.0.1 and opens the chain overview of the largest
chain in headless Chromium, timing from navigation until the overview figure is drawn:

* ``cold``: a new browser profile and an empty server cache (JS bundles downloaded too);
* ``warm browser``: the same browser, another chain (server computes its map afresh);
* ``cached``: the first chain again.

Baseline in the same run: the ``chain_map`` service call alone on the same store, so the
ratio shows what the page adds to the computation.  Target: first meaningful view <= 2 s.

Run from the repository root: ``PYTHONPATH=. python benchmarks/bench_dashboards.py [--scale 1]``.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browser(profile: Path):  # noqa: ANN202
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


def _time_view(driver, url: str, timeout: float = 120.0) -> float:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from dashboards import ids

    t0 = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, timeout).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"#{ids.OV_GRAPH} .main-svg")
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of the national size")
    ap.add_argument("--store", type=Path, default=None, help="reuse this embedded store file")
    ap.add_argument("--quick", action="store_true", help="= --scale 0.05")
    args = ap.parse_args()
    scale = 0.05 if args.quick else args.scale

    from werkzeug.serving import make_server

    from chain_brain.services.chains import chain_map, list_chains
    from chain_brain.settings import Settings
    from chain_brain.store import open_store
    from dashboards.app import create_dash_app
    from ingest.synthetic import scale as generate

    work = Path(tempfile.mkdtemp(prefix="bench-dash-"))
    path = args.store or work / "national.db"
    store = open_store(path)
    if not path.exists() or store.counts()["Firm"] == 0:
        t0 = time.perf_counter()
        data = generate(scale, 0)
        store.init()
        store.write(data)
        print(f"wrote the synthetic graph at scale {scale} in {time.perf_counter() - t0:.1f} s")
    counts = store.counts()
    print(f"store: {counts['Firm']:,} firms, {counts['SUPPLIES']:,} supply edges")

    chains = sorted(list_chains(store), key=lambda c: -c.segments)
    first, second = chains[0].id, chains[1].id
    t0 = time.perf_counter()
    cmap = chain_map(store, first)
    service_s = time.perf_counter() - t0
    print(f"chain {first}: {len(cmap.members):,} members in {len(cmap.segments)} segments")

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log lines in the table
    app = create_dash_app(Settings(store=str(path)), store=open_store(path), warm_up=False)
    port = _free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = _browser(work / "profile")
    try:
        base = f"http://127.0.0.1:{port}/?lang=en&chain="
        cold = _time_view(driver, base + first)
        other = _time_view(driver, base + second)
        cached = _time_view(driver, base + first)
    finally:
        driver.quit()
        server.shutdown()

    rows = [
        ("chain_map service call (baseline)", service_s),
        ("first view, cold browser and server", cold),
        ("first view of another chain, warm browser", other),
        ("same chain again (cached)", cached),
    ]
    print()
    print(f"{'measure':<45} {'seconds':>8} {'x service':>10}")
    for name, secs in rows:
        print(f"{name:<45} {secs:8.2f} {secs / service_s:10.1f}")
    verdict = "met" if max(cold, other) <= 2.0 else "NOT met"
    print(f"\nfirst meaningful view <= 2 s: {verdict} (cold {cold:.2f} s, other chain {other:.2f} s)")


if __name__ == "__main__":
    main()
