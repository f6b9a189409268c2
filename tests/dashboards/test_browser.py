"""The dashboard in a real headless Chromium: every page loads without console errors,
a scenario run shows its result, a chain-lead cannot open another chain."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from chain_brain.services.analysis import latest_analysis
from chain_brain.store import GraphStore
from dashboards import ids
from dashboards.app import PLOTLY_JS
from dashboards.i18n import LANGS, Lang, t
from tests.dashboards.conftest import LEAD_FIRM, OTHER_CHAIN, SCREENSHOTS, Served, settle, use_key

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = [
    ("overview", "/", ids.OV_GRAPH),
    ("chokepoints", "/chokepoints", ids.CK_TABLE_NAME),
    ("regions", "/regions", ids.RG_MAP),
    ("chain-lead", "/chain-lead", ids.CL_TIERS),
    ("scenarios", "/scenarios", ids.SC_RUN),
    ("twins", "/twins", ids.TW_FLEET),
    ("alerts", "/alerts", ids.AL_TTR),
]
#: Every page in both languages.
PAGES_BY_LANG = [(*page, lang) for page in PAGES for lang in LANGS]


def _console_errors(driver: object) -> list[str]:
    logs = driver.get_log("browser")  # type: ignore[attr-defined]
    return [e["message"] for e in logs if e["level"] in ("SEVERE", "ERROR")]


def _open(driver: object, served: Served, path: str) -> None:
    driver.get(served.url + path)  # type: ignore[attr-defined]
    settle(driver)


@pytest.mark.parametrize(
    ("name", "path", "marker", "lang"), PAGES_BY_LANG, ids=[f"{p[0]}-{p[3]}" for p in PAGES_BY_LANG]
)
def test_page_loads_without_console_errors(
    chrome: object, served: Served, name: str, path: str, marker: str, lang: Lang
) -> None:
    use_key(chrome, served.analyst_key)
    chrome.get_log("browser")  # type: ignore[attr-defined]  # drop anything from earlier pages
    _open(chrome, served, f"{path}?lang={lang}")
    assert _wait_for(chrome, f"#{marker}"), f"{name}: #{marker} missing"
    title = chrome.find_element(By.ID, ids.PAGE_TITLE).text  # type: ignore[attr-defined]
    assert title == t(f"page.{name.replace('-', '_')}", lang)
    active = chrome.find_element(By.CSS_SELECTOR, ".nav-link.active").text  # type: ignore[attr-defined]
    assert active == title
    assert not chrome.find_elements(By.ID, ids.DENIED)  # type: ignore[attr-defined]
    errors = [e for e in chrome.find_elements(By.CSS_SELECTOR, ".message-error")]  # type: ignore[attr-defined]
    assert not errors, [e.text for e in errors]
    chrome.save_screenshot(str(SCREENSHOTS / f"{name}-{lang}.png"))  # type: ignore[attr-defined]
    assert _console_errors(chrome) == []
    # the graphs use the partial plotly.js loaded with the page, never the full bundle
    fetched = chrome.execute_script(  # type: ignore[attr-defined]
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert any(PLOTLY_JS in u for u in fetched)
    assert not any("package_data/plotly.min.js" in u for u in fetched)


def test_english_switch_relabels_the_page(chrome: object, served: Served) -> None:
    use_key(chrome, served.analyst_key)
    _open(chrome, served, "/?lang=en")
    assert chrome.find_element(By.ID, ids.PAGE_TITLE).text == "Chain overview"  # type: ignore[attr-defined]
    chrome.find_element(By.ID, "lang-zh").click()  # type: ignore[attr-defined]
    settle(chrome)
    assert chrome.find_element(By.ID, ids.PAGE_TITLE).text == "产业链全景"  # type: ignore[attr-defined]


def test_chain_lead_cannot_open_another_chain(chrome: object, served: Served) -> None:
    use_key(chrome, served.lead_key)
    _open(chrome, served, f"/?chain={OTHER_CHAIN}&lang=en")
    denied = chrome.find_elements(By.ID, ids.DENIED)  # type: ignore[attr-defined]
    assert denied and OTHER_CHAIN in denied[0].text
    assert not chrome.find_elements(By.ID, ids.OV_GRAPH)  # type: ignore[attr-defined]
    chrome.save_screenshot(str(SCREENSHOTS / "chain-lead-denied.png"))  # type: ignore[attr-defined]
    for path in ("/chokepoints", "/regions", "/scenarios", "/twins", "/alerts"):
        _open(chrome, served, f"{path}?chain={OTHER_CHAIN}")
        assert chrome.find_elements(By.ID, ids.DENIED), path  # type: ignore[attr-defined]
    # the chain-lead view shows its own firm only, whatever firm the URL asks for
    _open(chrome, served, "/chain-lead?firm=apple:apple-inc&lang=en")
    firm = chrome.find_element(By.ID, ids.CL_FIRM).text  # type: ignore[attr-defined]
    assert firm == LEAD_FIRM
    summary = chrome.find_element(By.ID, ids.CL_SUMMARY).text  # type: ignore[attr-defined]
    assert summary.startswith("Steel Authority of India Ltd:")
    # its own chain opens, and the analyst (unbound) may open the other chain
    _open(chrome, served, "/?chain=chain:steel")
    assert chrome.find_elements(By.ID, ids.OV_GRAPH)  # type: ignore[attr-defined]
    use_key(chrome, served.analyst_key)
    _open(chrome, served, f"/?chain={OTHER_CHAIN}")
    assert not chrome.find_elements(By.ID, ids.DENIED)  # type: ignore[attr-defined]


def test_no_key_is_refused(chrome: object, served: Served) -> None:
    use_key(chrome, "")
    _open(chrome, served, "/")
    assert chrome.find_elements(By.ID, ids.DENIED)  # type: ignore[attr-defined]


def _wait_for(driver: object, css: str, timeout: float = 20.0) -> list[object]:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, css)
    )
    settle(driver)
    return chrome_find(driver, css)


def chrome_find(driver: object, css: str) -> list[object]:
    return driver.find_elements(By.CSS_SELECTOR, css)  # type: ignore[attr-defined, no-any-return]


def test_overview_click_drills_down_to_segment_members(chrome: object, served: Served) -> None:
    use_key(chrome, served.analyst_key)
    _open(chrome, served, "/?lang=en")
    points = _wait_for(chrome, f"#{ids.OV_GRAPH} .scatterlayer .point")
    assert len(points) == 5  # the five steel segments, not thousands of firms
    ActionChains(chrome).move_to_element(points[2]).click().perform()  # steel making
    rows = _wait_for(chrome, f"#{ids.OV_DRILL} td")
    title = chrome.find_element(By.ID, ids.OV_DRILL_TITLE).text  # type: ignore[attr-defined]
    assert title.endswith("chain:steel:steel-making")
    assert any(r.text in ("Firm", "Plant") for r in rows)  # type: ignore[attr-defined]
    chrome.save_screenshot(str(SCREENSHOTS / "overview-drill.png"))  # type: ignore[attr-defined]


def test_chokepoint_table_ranks_and_explains_a_finding(
    chrome: object, served: Served, sample_store: GraphStore
) -> None:
    latest = latest_analysis(sample_store, chain="chain:steel")
    assert latest is not None
    use_key(chrome, served.analyst_key)
    _open(chrome, served, "/chokepoints?lang=en")
    assert latest.id in chrome.find_element(By.ID, ids.CK_RUN).text  # type: ignore[attr-defined]
    header = [h.text for h in chrome_find(chrome, f"#{ids.CK_TABLE} th")]
    assert "score" in header
    scores = [
        float(c.text) for c in chrome_find(chrome, f"#{ids.CK_TABLE} td[data-dash-column=score]")
    ]
    assert scores and scores == sorted(scores, reverse=True)
    chrome_find(chrome, f"#{ids.CK_TABLE} input[type=radio]")[0].click()
    _wait_for(chrome, f"#{ids.CK_EXPLAIN} b")
    text = chrome.find_element(By.ID, ids.CK_EXPLAIN).text  # type: ignore[attr-defined]
    assert "components.concentration" in text and "thresholds.score_high: 0.2" in text
    chrome.save_screenshot(str(SCREENSHOTS / "chokepoints-explained.png"))  # type: ignore[attr-defined]
    assert _console_errors(chrome) == []


def test_alerts_list_chokepoints_new_since_the_previous_analysis(
    chrome: object, served: Served
) -> None:
    use_key(chrome, served.analyst_key)
    _open(chrome, served, "/alerts?lang=en")
    cells = chrome_find(chrome, f"#{ids.AL_NEW_CHOKEPOINTS} td[data-dash-column=product_id]")
    assert cells, "the lower threshold of the second run flags chokepoints the first did not"


def test_scenario_run_from_the_studio_shows_its_result(chrome: object, served: Served) -> None:
    use_key(chrome, served.analyst_key)
    _open(chrome, served, "/scenarios?lang=en")
    chrome.find_element(By.ID, ids.SC_PLANTS).click()  # type: ignore[attr-defined]
    chrome.find_element(By.CSS_SELECTOR, ".dash-dropdown-search").send_keys("POSCO Gwangyang")  # type: ignore[attr-defined]
    options = [o for o in chrome_find(chrome, "[role=option]") if "POSCO Gwangyang" in o.text]  # type: ignore[attr-defined]
    assert options
    plant = options[0].find_element(By.TAG_NAME, "input").get_attribute("value")  # type: ignore[attr-defined]
    options[0].click()  # type: ignore[attr-defined]
    chrome.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)  # type: ignore[attr-defined]
    ttr = chrome.find_element(By.ID, ids.SC_TTR)  # type: ignore[attr-defined]
    ttr.clear()
    ttr.send_keys("2")
    chrome.find_element(By.ID, ids.SC_RUN).click()  # type: ignore[attr-defined]
    summary = _wait_for(chrome, f"#{ids.SC_SUMMARY}", timeout=90)[0].text  # type: ignore[attr-defined]
    chrome.save_screenshot(str(SCREENSHOTS / "scenario-result.png"))  # type: ignore[attr-defined]
    assert summary.startswith("Lost demand:") and "time to recover 2 weeks" in summary
    disrupted = [c.text for c in chrome_find(chrome, "#sc-disrupted td[data-dash-column=id]")]  # type: ignore[attr-defined]
    assert disrupted == [plant]
    assert _console_errors(chrome) == []
