"""The dashboard in a real headless Chromium: every page loads without console errors,
a scenario run shows its result, a chain-lead cannot open another chain."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from dashboards import ids
from tests.dashboards.conftest import OTHER_CHAIN, SCREENSHOTS, Served, settle, use_key

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


def _console_errors(driver: object) -> list[str]:
    logs = driver.get_log("browser")  # type: ignore[attr-defined]
    return [e["message"] for e in logs if e["level"] in ("SEVERE", "ERROR")]


def _open(driver: object, served: Served, path: str) -> None:
    driver.get(served.url + path)  # type: ignore[attr-defined]
    settle(driver)


@pytest.mark.parametrize(("name", "path", "marker"), PAGES, ids=[p[0] for p in PAGES])
def test_page_loads_without_console_errors(
    chrome: object, served: Served, name: str, path: str, marker: str
) -> None:
    use_key(chrome, served.analyst_key)
    _open(chrome, served, path)
    chrome.get_log("browser")  # type: ignore[attr-defined]  # drop anything from earlier pages
    _open(chrome, served, path)
    assert chrome.find_elements(By.ID, marker), f"{name}: #{marker} missing"  # type: ignore[attr-defined]
    assert not chrome.find_elements(By.ID, ids.DENIED)  # type: ignore[attr-defined]
    errors = [e for e in chrome.find_elements(By.CSS_SELECTOR, ".message-error")]  # type: ignore[attr-defined]
    assert not errors, [e.text for e in errors]
    chrome.save_screenshot(str(SCREENSHOTS / f"{name}.png"))  # type: ignore[attr-defined]
    assert _console_errors(chrome) == []


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
