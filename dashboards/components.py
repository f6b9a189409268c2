"""Small Dash component builders shared by the pages: navigation, messages, tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, urlencode

import pandas as pd
from dash import dash_table, dcc, html
from dash.development.base_component import Component

from chain_brain.services.chains import ChainSummary
from chain_brain.services.security import AuthenticationError, PermissionDeniedError
from dashboards import ids
from dashboards.context import ServiceUnavailableError
from dashboards.figures import records
from dashboards.i18n import LANGS, Lang, t
from graph_schema.errors import ChainBrainError

__all__ = [
    "PAGES",
    "nav",
    "message",
    "table",
    "plain_table",
    "guard",
    "failure",
    "options",
    "page",
    "with_lang",
]

#: (path, i18n key) of every page, in navigation order.
PAGES: tuple[tuple[str, str], ...] = (
    ("/", "page.overview"),
    ("/chokepoints", "page.chokepoints"),
    ("/regions", "page.regions"),
    ("/chain-lead", "page.chain_lead"),
    ("/scenarios", "page.scenarios"),
    ("/twins", "page.twins"),
    ("/alerts", "page.alerts"),
)


def with_lang(path: str, search: str | None, lang: Lang) -> str:
    """``path`` with the query of ``search`` and ``lang`` set."""
    q = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
    q["lang"] = lang
    return f"{path}?{urlencode(q)}"


def nav(pathname: str | None, search: str | None, lang: Lang) -> list[Component]:
    """The top bar: app title, one link per page (keeping the language and chain), and the
    language switch (a full reload, so every label is rebuilt)."""
    q = parse_qs((search or "").lstrip("?"))
    keep = f"?{urlencode({'chain': q['chain'][0]})}" if "chain" in q else ""
    links = [
        dcc.Link(
            t(key, lang),
            href=with_lang(path, keep, lang),
            className="nav-link active" if path == (pathname or "/") else "nav-link",
            id=f"nav-{path.strip('/') or 'overview'}",
        )
        for path, key in PAGES
    ]
    switch = [
        html.A(
            t(f"lang.{code}", lang),
            href=with_lang(pathname or "/", search, code),
            className="lang",
            id=f"lang-{code}",
        )
        for code in LANGS
    ]
    return [
        html.Span(t("app.title", lang), className="brand"),
        html.Nav(links, className="links"),
        html.Span(switch, id=ids.LANG_LINKS, className="langs"),
    ]


def message(text: str, *, kind: str = "info", id: str = ids.MESSAGE) -> html.Div:  # noqa: A002
    """A coloured message box (kinds: info, warning, error, denied)."""
    return html.Div(text, id=id, className=f"message message-{kind}")


def table(
    table_id: str, frame: pd.DataFrame, *, page_size: int = 15, selectable: bool = False
) -> Component:
    """A sortable, paged DataTable of ``frame``."""
    data, columns = records(frame)
    return dash_table.DataTable(  # type: ignore[attr-defined,no-any-return]
        id=table_id,
        data=data,  # type: ignore[arg-type]
        columns=columns,  # type: ignore[arg-type]
        page_size=page_size,
        sort_action="native",
        row_selectable="single" if selectable else False,
        style_table={"overflowX": "auto"},
        style_cell={"fontSize": 13, "textAlign": "left", "maxWidth": 360, "whiteSpace": "normal"},
        style_header={"fontWeight": "bold"},
        style_cell_conditional=[{"if": {"column_id": "reason"}, "minWidth": "420px"}],  # type: ignore[list-item]
    )


def plain_table(table_id: str, frame: pd.DataFrame) -> html.Table:
    """A small static HTML table of ``frame`` (no DataTable bundle to load: for the few
    rows of a first view)."""
    data, columns = records(frame)
    head = html.Thead(html.Tr([html.Th(c["name"]) for c in columns]))
    body = html.Tbody(
        [html.Tr([html.Td(_cell(row.get(c["id"]))) for c in columns]) for row in data]
    )
    return html.Table([head, body], id=table_id, className="plain-table")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def options(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Dropdown options from (value, label) pairs."""
    return [{"value": v, "label": label} for v, label in pairs]


def chain_options(chains: Iterable[ChainSummary], lang: str) -> list[dict[str, str]]:
    """Dropdown options of the chains a user may see, named in the page's language."""
    return options([(c.id, (c.name_en if lang == "en" else c.name_zh) or c.id) for c in chains])


def page(title: str, *children: Component) -> html.Div:
    return html.Div([html.H2(title, id=ids.PAGE_TITLE), *children], className="page")


def guard(lang: Lang, build: Callable[[], Component]) -> Component:
    """``build()``, or a message naming why it could not be built (denied, missing
    service, project error).  Access denials get the id :data:`ids.DENIED`."""
    try:
        return build()
    except ChainBrainError as exc:
        return failure(exc, lang)


def failure(exc: ChainBrainError, lang: Lang) -> Component:
    """The message that replaces what ``exc`` stopped from being built (see :func:`guard`)."""
    if isinstance(exc, PermissionDeniedError | AuthenticationError):
        return message(f"{t('denied', lang)}: {exc}", kind="denied", id=ids.DENIED)
    if isinstance(exc, ServiceUnavailableError):
        return message(t("service_missing", lang, service=exc.service), kind="warning")
    return message(f"{t('error', lang)}: {exc}", kind="error")
