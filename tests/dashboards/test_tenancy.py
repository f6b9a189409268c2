"""A chain lead of steel tries to see the other chain's firms, plants and runs: by URL, by
the pages' dropdowns and by sending callback inputs of its own; the server must send none
of them to its browser.  The same requests by an analyst (unbound) do reach them, so the
checks can fail."""

from __future__ import annotations

import json

import pytest

from chain_brain.services.security import principal_group
from chain_brain.store import GraphStore
from dashboards import ids
from tests.dashboards.conftest import (
    LEAD,
    LEAD_FIRM,
    OTHER_CHAIN,
    OTHER_FIRM,
    OTHER_PLANT,
    OTHER_RUN,
    SCREENSHOTS,
    SECRETS,
    Served,
    dash_answers,
    settle,
    use_key,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

STEEL = "chain:steel"
EN = {"page-lang.data": "en"}

#: URLs a chain lead of steel opens: every page, and every page asking for the other chain,
#: its firm or its plant.
URLS = [
    *(f"{p}?lang=en" for p in ("/", "/chokepoints", "/regions", "/chain-lead")),
    *(f"{p}?lang=en" for p in ("/scenarios", "/twins", "/alerts")),
    *(
        f"{p}?lang=en&chain={OTHER_CHAIN}"
        for p in ("/", "/chokepoints", "/regions", "/scenarios", "/twins", "/alerts")
    ),
    f"/chain-lead?lang=en&firm={OTHER_FIRM}",
    f"/twins?lang=en&plant={OTHER_PLANT}",
]

#: Callbacks sent with inputs the pages never offer a chain lead of steel:
#: (output, inputs, state).
ATTACKS: list[tuple[str, dict[str, object], dict[str, object]]] = [
    (f"{ids.OV_GRAPH}.figure", {f"{ids.OV_CHAIN}.value": OTHER_CHAIN}, EN),
    (
        f"{ids.OV_DRILL}.children",
        {f"{ids.OV_GRAPH}.clickData": {"points": [{"customdata": f"{OTHER_CHAIN}:seg"}]}},
        {f"{ids.OV_CHAIN}.value": OTHER_CHAIN, **EN},
    ),
    (
        f"{ids.CK_TABLE}.children",
        {f"{ids.CK_CHAIN}.value": OTHER_CHAIN, f"{ids.CK_TABLE_NAME}.value": "chokepoints"},
        EN,
    ),
    *(
        (
            f"{ids.CK_EXPLAIN}.children",
            {"ck-table-rows.selected_rows": [0]},
            {"ck-table-rows.data": [{"finding_id": "zeta-1"}], f"{ids.CK_CHAIN}.value": c, **EN},
        )
        for c in (OTHER_CHAIN, STEEL)
    ),
    (f"{ids.RG_MAP}.figure", {f"{ids.RG_CHAIN}.value": OTHER_CHAIN}, EN),
    ("cl-body.children", {f"{ids.CL_FIRM}.value": OTHER_FIRM}, EN),
    *(
        (
            f"{ids.SC_RESULT}.children",
            {f"{ids.SC_RUN}.n_clicks": 1},
            {f"{ids.SC_CHAIN}.data": chain, picker: [node], f"{ids.SC_TTR}.value": 4, **EN},
        )
        for chain, picker, node in (
            (OTHER_CHAIN, f"{ids.SC_PLANTS}.value", OTHER_PLANT),
            (STEEL, f"{ids.SC_PLANTS}.value", OTHER_PLANT),
            (STEEL, f"{ids.SC_FIRMS}.value", OTHER_FIRM),
            (STEEL, f"{ids.SC_REGIONS}.value", "ISL"),
        )
    ),
    (
        f"{ids.SC_COMPARE}.children",
        {f"{ids.SC_A}.value": OTHER_RUN, f"{ids.SC_B}.value": OTHER_RUN},
        EN,
    ),
    *(
        (f"{ids.TW_FAN}.figure", {f"{ids.TW_PLANT}.value": OTHER_PLANT}, {"tw-chain.data": c, **EN})
        for c in (None, OTHER_CHAIN)
    ),
]


def _leaks(text: str, sent: object) -> list[str]:
    """Secrets in ``text`` other than those the request itself named."""
    asked = json.dumps(sent, ensure_ascii=False)
    return [s for s in SECRETS if s in text and s not in asked]


def _callback(
    driver: object, output: str, inputs: dict[str, object], state: dict[str, object]
) -> tuple[int, str]:
    """POST one callback from the page the way the Dash renderer does; (status, body)."""
    deps = driver.execute_async_script(  # type: ignore[attr-defined]
        "const done = arguments[arguments.length - 1];"
        "fetch('/_dash-dependencies').then(r => r.json()).then(done);"
    )
    dep = next(d for d in deps if output in d["output"].strip(".").split("..."))
    multi = dep["output"].startswith("..")

    def spec(text: str) -> dict[str, str]:
        cid, _, prop = text.rpartition(".")
        return {"id": cid, "property": prop}

    outputs = [spec(o) for o in dep["output"].strip(".").split("...")]

    def values(deps: list[dict[str, str]], given: dict[str, object]) -> list[dict[str, object]]:
        return [{**d, "value": given.get(f"{d['id']}.{d['property']}")} for d in deps]

    body = {
        "output": dep["output"],
        "outputs": outputs if multi else outputs[0],
        "inputs": values(dep["inputs"], inputs),
        "changedPropIds": list(inputs),
        "state": values(dep["state"], state),
    }
    status, text = driver.execute_async_script(  # type: ignore[attr-defined]
        "const body = arguments[0], done = arguments[arguments.length - 1];"
        "fetch('/_dash-update-component', {method: 'POST',"
        " headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})"
        ".then(async r => done([r.status, await r.text()]));",
        body,
    )
    return int(status), str(text)


def _open(driver: object, served: Served, url: str) -> str:
    driver.get(served.url + url)  # type: ignore[attr-defined]
    settle(driver)
    return dash_answers(driver)


def test_chain_lead_receives_no_other_chains_firm_on_any_page(
    chrome: object, served: Served
) -> None:
    use_key(chrome, served.lead_key)
    for url in URLS:
        answers = _open(chrome, served, url)
        assert "_dash-update-component" in answers, url  # the recorder saw the page's answers
        assert not _leaks(answers, url), url
        if "&" not in url:
            name = url.split("?")[0].strip("/") or "overview"
            chrome.save_screenshot(str(SCREENSHOTS / f"chain-lead-key-{name}.png"))  # type: ignore[attr-defined]
    # the chain-lead view is about its own firm, the twins list only steel plants
    answers = _open(chrome, served, "/chain-lead?lang=en")
    assert LEAD_FIRM in answers and "Steel Authority of India Ltd" in answers


def test_an_analyst_does_receive_them(chrome: object, served: Served) -> None:
    """The control: the same pages and callbacks reach the other chain for an unbound key."""
    use_key(chrome, served.analyst_key)
    answers = _open(chrome, served, "/?lang=en")
    assert "Other chain" in answers  # the chain dropdown lists both chains
    answers = _open(chrome, served, f"/scenarios?lang=en&chain={OTHER_CHAIN}")
    assert "Zeta Hidden Smelter" in answers
    answers = _open(chrome, served, f"/twins?lang=en&chain={OTHER_CHAIN}")
    assert OTHER_PLANT in answers
    status, text = _callback(chrome, "cl-body.children", {f"{ids.CL_FIRM}.value": OTHER_FIRM}, EN)
    assert status == 200 and "Zeta Hidden Metals" in text
    status, text = _callback(
        chrome,
        f"{ids.SC_COMPARE}.children",
        {f"{ids.SC_A}.value": OTHER_RUN, f"{ids.SC_B}.value": OTHER_RUN},
        EN,
    )
    assert status == 200 and "sc-compare-table" in text
    assert ids.DENIED not in text and "message-error" not in text


@pytest.mark.parametrize(
    ("output", "inputs", "state"), ATTACKS, ids=[f"{a[0]}-{i}" for i, a in enumerate(ATTACKS)]
)
def test_chain_lead_callback_inputs_cannot_reach_another_chain(
    chrome: object,
    served: Served,
    output: str,
    inputs: dict[str, object],
    state: dict[str, object],
) -> None:
    use_key(chrome, served.lead_key)
    _open(chrome, served, "/alerts?lang=en")
    status, text = _callback(chrome, output, inputs, state)
    assert status == 200, text[:500]
    assert not _leaks(text, [inputs, state])
    assert ids.DENIED in text or "message-error" in text, text[:500]


def test_chain_lead_sees_its_own_analysis_with_other_organisations_volumes_withheld(
    chrome: object, served: Served, sample_store: GraphStore
) -> None:
    own = [r for r in sample_store.list_runs("analysis") if r.tenant == LEAD.tenant_key]
    assert len(own) == 1
    stored = sample_store.load_run("analysis", own[0].id).tables["sole_sources"]
    assert stored["volume"].notna().all()
    group = principal_group(sample_store, LEAD)
    mine = stored["customer_key"].isin(group) | stored["supplier_key"].isin(group)
    assert 0 < int(mine.sum()) < len(stored)

    use_key(chrome, served.lead_key)
    answers = _open(chrome, served, "/chokepoints?lang=en")
    assert own[0].id in answers  # its own run, not the analysts' newer ones
    status, text = _callback(
        chrome,
        f"{ids.CK_TABLE}.children",
        {f"{ids.CK_CHAIN}.value": STEEL, f"{ids.CK_TABLE_NAME}.value": "sole_sources"},
        EN,
    )
    assert status == 200
    rows = _table_rows(json.loads(text), "ck-table-rows")
    shown = {r["finding_id"]: r["volume"] for r in rows}
    assert set(shown) == set(stored["finding_id"])
    expected = dict(zip(stored["finding_id"], mine, strict=True))
    assert {f for f, v in shown.items() if v is not None} == {f for f, m in expected.items() if m}


def _table_rows(answer: object, table_id: str) -> list[dict[str, object]]:
    """The ``data`` of the DataTable ``table_id`` anywhere in a callback answer."""
    if isinstance(answer, dict):
        props = answer.get("props")
        if isinstance(props, dict) and props.get("id") == table_id:
            return list(props["data"])
        for value in answer.values():
            found = _table_rows(value, table_id)
            if found:
                return found
    if isinstance(answer, list):
        for value in answer:
            found = _table_rows(value, table_id)
            if found:
                return found
    return []
