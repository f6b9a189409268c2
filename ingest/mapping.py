"""Declarative column mappings: a YAML file says how a table becomes canonical nodes and edges.

A user loads their own firm or supplier table without writing Python::

    source: Provincial enterprise register 2024      # provenance source name
    confidence: 0.9                                  # provenance confidence (0..1)
    reader: {sheet: 0}                               # optional reader options
    nodes:
      - label: Firm
        id: "firm:{统一社会信用代码}"                    # id template, {column} placeholders
                                                     # (a constant id makes one node)
        properties:
          name: 企业名称                              # shorthand: copy a column
          name_en: {column: English name}
          ownership: {column: 是否国企, map: {"是": SOE, "否": private}, default: unknown}
          aliases: {column: 曾用名, split: ";"}       # multi-valued cell -> list
          country: {value: CHN}                       # a constant
    relationships:
      - type: SUPPLIES
        from: {label: Firm, id: "firm:{供应商代码}"}
        to: {label: Firm, id: "firm:{客户代码}"}
        explode: {column: 产品, sep: "、"}             # one edge per listed product
        properties:
          product: {template: "product:{产品}"}
          volume: {column: 年供货量}                    # parsed as a number (schema type)

A property spec takes exactly one of ``column``, ``template`` or ``value``; ``map`` replaces
values (unmapped values pass through, so validation can reject them), ``default`` fills
missing cells, ``split`` turns a cell into a list, ``parse`` overrides the parser the schema
type implies (``number`` for float/int, ``date`` for dates, ``text`` otherwise).

:func:`load_mapping` validates the YAML itself (unknown keys, labels, relationship types,
properties, endpoint labels, mapped values outside a property's choices) and raises
:class:`~ingest.errors.MappingError` naming the file and the offending entry;
:func:`check_columns` raises :class:`~ingest.errors.MissingColumnError` naming a column the
mapping uses but the file lacks.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from graph_schema.frames import LINE, PROVENANCE_COLUMNS, GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, Prop, PropType, RelType, node_schema, rel_schema
from ingest.errors import MappingError, MissingColumnError
from ingest.readers import parse_dates, parse_number

__all__ = [
    "PropertySpec",
    "NodeMapping",
    "EndpointSpec",
    "ExplodeSpec",
    "RelMapping",
    "ReaderOptions",
    "Mapping",
    "load_mapping",
    "parse_mapping",
    "dump_mapping",
    "check_columns",
    "mapping_columns",
    "apply_mapping",
]

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _template_fields(template: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ValueError(f"bad template {template!r}: {exc}") from None


class PropertySpec(BaseModel):
    """Where one property's values come from and how they are transformed."""

    model_config = _STRICT

    column: str | None = None
    template: str | None = None
    value: str | float | int | None = None
    map: dict[str, str | float | int] | None = None
    default: str | float | int | None = None
    split: str | None = None
    parse: Literal["text", "number", "date"] | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> PropertySpec:
        given = [k for k in ("column", "template", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a property needs exactly one of column, template or value; got {given or 'none'}"
            )
        if self.template is not None and not _template_fields(self.template):
            raise ValueError(f"template {self.template!r} has no {{column}} placeholder")
        return self

    def columns(self) -> list[str]:
        if self.column is not None:
            return [self.column]
        if self.template is not None:
            return _template_fields(self.template)
        return []


def _coerce_spec(value: Any) -> Any:
    return {"column": value} if isinstance(value, str) else value


class NodeMapping(BaseModel):
    """Rows of the table -> nodes of one label."""

    model_config = _STRICT

    label: NodeLabel
    id: str
    properties: dict[str, PropertySpec] = Field(default_factory=dict)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("properties"), dict):
            data = {
                **data,
                "properties": {k: _coerce_spec(v) for k, v in data["properties"].items()},
            }
        return data

    @model_validator(mode="after")
    def _known_properties(self) -> NodeMapping:
        _template_fields(self.id)
        _check_props(self.properties, node_schema(self.label).props, f"label {self.label.value}")
        return self


class EndpointSpec(BaseModel):
    """One end of a relationship: the node label and the id template."""

    model_config = _STRICT

    label: NodeLabel
    id: str

    @model_validator(mode="after")
    def _valid_template(self) -> EndpointSpec:
        _template_fields(self.id)
        return self


class ExplodeSpec(BaseModel):
    """Split a multi-valued cell and make one relationship per value."""

    model_config = _STRICT

    column: str
    sep: str = ";"


class RelMapping(BaseModel):
    """Rows of the table -> relationships of one type."""

    model_config = _STRICT

    type: RelType
    from_: EndpointSpec = Field(alias="from")
    to: EndpointSpec
    key: str | None = None
    explode: ExplodeSpec | None = None
    properties: dict[str, PropertySpec] = Field(default_factory=dict)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("properties"), dict):
            data = {
                **data,
                "properties": {k: _coerce_spec(v) for k, v in data["properties"].items()},
            }
        return data

    @model_validator(mode="after")
    def _known(self) -> RelMapping:
        schema = rel_schema(self.type)
        if self.from_.label not in schema.sources:
            raise ValueError(
                f"{self.type.value} cannot start at {self.from_.label.value}; expected one of "
                f"{', '.join(s.value for s in schema.sources)}"
            )
        if self.to.label not in schema.targets:
            raise ValueError(
                f"{self.type.value} cannot end at {self.to.label.value}; expected one of "
                f"{', '.join(s.value for s in schema.targets)}"
            )
        _check_props(self.properties, schema.props, f"relationship {self.type.value}")
        return self


def _check_props(specs: dict[str, PropertySpec], props: tuple[Prop, ...], where: str) -> None:
    by_name = {p.name: p for p in props}
    for name, spec in specs.items():
        if name in PROVENANCE_COLUMNS:
            continue
        if name not in by_name:
            raise ValueError(
                f"unknown property {name!r} of {where}; expected one of "
                f"{', '.join(sorted(by_name))} or provenance {', '.join(PROVENANCE_COLUMNS)}"
            )
        prop = by_name[name]
        if prop.choices and spec.map:
            bad = [v for v in spec.map.values() if v not in prop.choices]
            if bad:
                raise ValueError(
                    f"map of property {name!r} of {where} yields {bad}; allowed values are "
                    f"{', '.join(prop.choices)}"
                )


class ReaderOptions(BaseModel):
    """Options passed to the reader of the mapped file."""

    model_config = _STRICT

    encoding: str | None = None
    sep: str = ","
    sheet: str | int = 0


class Mapping(BaseModel):
    """A whole mapping file: provenance, reader options, node and relationship mappings."""

    model_config = _STRICT

    source: str = Field(min_length=1)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    description: str | None = None
    reader: ReaderOptions = Field(default_factory=ReaderOptions)
    nodes: list[NodeMapping] = Field(default_factory=list)
    relationships: list[RelMapping] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Mapping:
        if not self.nodes and not self.relationships:
            raise ValueError("a mapping needs at least one entry under nodes or relationships")
        return self


def _format_error(origin: str, exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"] if x not in ("function-after", "function-before"))
        msg = err["msg"].removeprefix("Value error, ")
        given = err.get("input")
        if isinstance(given, (str, int, float)) and err["type"] != "value_error":
            msg = f"{msg}; got {given!r}"
        parts.append(f"{loc or '<top>'}: {msg}")
    return f"Invalid mapping {origin}: " + "; ".join(parts)


def parse_mapping(doc: Any, *, origin: str = "<mapping>") -> Mapping:
    """Validate a mapping given as the parsed YAML document (a dict)."""
    if not isinstance(doc, dict):
        raise MappingError(f"Invalid mapping {origin}: expected a YAML mapping at the top level.")
    try:
        return Mapping.model_validate(doc)
    except pydantic.ValidationError as exc:
        raise MappingError(_format_error(origin, exc)) from None


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping YAML file.

    Raises
    ------
    MappingError
        For YAML syntax errors, unknown keys, labels, relationship types or properties,
        endpoint labels the relationship type does not allow, and mapped values outside a
        property's allowed choices; the message names the file and the entry.
    """
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"Mapping file {path} does not exist.") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"Mapping file {path.name} is not valid YAML: {exc}") from None
    return parse_mapping(doc, origin=path.name)


def dump_mapping(mapping: Mapping, path: str | Path | None = None) -> str:
    """The mapping as YAML text (written to ``path`` when given); loads back equal."""
    doc = mapping.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def mapping_columns(mapping: Mapping) -> dict[str, list[str]]:
    """Each column the mapping reads -> the entries that read it (for error messages)."""
    used: dict[str, list[str]] = {}

    def add(cols: list[str], where: str) -> None:
        for c in cols:
            used.setdefault(c, []).append(where)

    for i, nm in enumerate(mapping.nodes):
        where = f"nodes[{i}] ({nm.label.value})"
        add(_template_fields(nm.id), f"{where}.id")
        for name, spec in nm.properties.items():
            add(spec.columns(), f"{where}.properties.{name}")
    for i, rm in enumerate(mapping.relationships):
        where = f"relationships[{i}] ({rm.type.value})"
        add(_template_fields(rm.from_.id), f"{where}.from.id")
        add(_template_fields(rm.to.id), f"{where}.to.id")
        if rm.key:
            add(_template_fields(rm.key), f"{where}.key")
        if rm.explode:
            add([rm.explode.column], f"{where}.explode")
        for name, spec in rm.properties.items():
            add(spec.columns(), f"{where}.properties.{name}")
    return used


def check_columns(mapping: Mapping, columns: list[str] | pd.Index, source: str) -> None:
    """Raise :class:`MissingColumnError` naming each mapped column absent from ``columns``."""
    have = set(columns)
    missing = {c: w for c, w in mapping_columns(mapping).items() if c not in have}
    if missing:
        detail = "; ".join(f"column {c!r} (used by {', '.join(w)})" for c, w in missing.items())
        raise MissingColumnError(f"{source} lacks {detail}.")


# --------------------------------------------------------------------------- applying


def _render(template: str, data: pd.DataFrame) -> pd.Series:
    """Fill ``template`` row-wise; rows with an empty placeholder value give None."""
    out = pd.Series("", index=data.index, dtype=object)
    missing = np.zeros(len(data), dtype=bool)
    for literal, field, spec, _ in string.Formatter().parse(template):
        out = out + literal
        if field is None:
            continue
        col = data[field]
        missing |= col.isna().to_numpy(dtype=bool) | (col.astype(str).str.strip() == "").to_numpy(
            dtype=bool
        )
        text = col.astype(str)
        if spec:
            text = col.map(lambda v, s=spec: format(v, s) if v == v and v is not None else "")
        out = out + text.where(col.notna(), "")
    return out.where(~missing, None)


def _values(spec: PropertySpec, prop: Prop | None, data: pd.DataFrame) -> pd.Series:
    if spec.value is not None:
        values = pd.Series([spec.value] * len(data), index=data.index, dtype=object)
    elif spec.template is not None:
        values = _render(spec.template, data)
    else:
        assert spec.column is not None
        values = data[spec.column].astype(object)
    if spec.map:
        mapping = {str(k): v for k, v in spec.map.items()}
        values = values.map(lambda v: mapping.get(str(v), v) if v is not None and v == v else v)
    if spec.default is not None:
        values = values.where(values.notna(), spec.default)
    is_list = prop is not None and prop.type is PropType.LIST
    if spec.split is not None or is_list:
        sep = spec.split or ";"
        values = values.map(
            lambda v: (
                [x.strip() for x in str(v).split(sep) if x.strip()] or None
                if v is not None and v == v
                else None
            )
        )
        return values
    parse: str | None = spec.parse
    if parse is None and prop is not None:
        parse = {PropType.FLOAT: "number", PropType.INT: "number", PropType.DATE: "date"}.get(
            prop.type, "text"
        )
    if parse == "number":
        return parse_number(values)
    if parse == "date":
        return parse_dates(values)
    return values


def _frame(
    data: pd.DataFrame,
    specs: dict[str, PropertySpec],
    props: tuple[Prop, ...],
    confidence: float | None,
) -> pd.DataFrame:
    by_name = {p.name: p for p in props}
    cols: dict[str, pd.Series] = {}
    for name, spec in specs.items():
        prop = by_name.get(name)
        if name == "confidence":
            cols[name] = parse_number(_values(spec, None, data))
        else:
            cols[name] = _values(spec, prop, data)
    out = pd.DataFrame(cols, index=data.index)
    if confidence is not None and "confidence" not in out.columns:
        out["confidence"] = confidence
    return out


def apply_mapping(data: pd.DataFrame, mapping: Mapping, *, source: str = "table") -> GraphData:
    """Turn a table (as a reader returns it) into raw node and relationship frames.

    The ``_line`` column is carried into every frame so rejects name the source line.
    Validation happens afterwards in :func:`ingest.result.build_result`.
    """
    check_columns(mapping, data.columns, source)
    if LINE not in data.columns:
        data = data.assign(**{LINE: np.arange(2, len(data) + 2)})
    graph = GraphData()
    for nm in mapping.nodes:
        frame = _frame(data, nm.properties, node_schema(nm.label).props, nm.confidence)
        frame.insert(0, "id", _render(nm.id, data))
        frame[LINE] = data[LINE].to_numpy()
        graph.nodes.append(NodeFrame(nm.label, frame.reset_index(drop=True)))
    for rm in mapping.relationships:
        rows = data
        if rm.explode is not None:
            col, sep = rm.explode.column, rm.explode.sep
            rows = (
                data.assign(
                    **{
                        col: data[col].map(
                            lambda v, s=sep: (
                                [x.strip() for x in str(v).split(s) if x.strip()] or [None]  # type: ignore[list-item]
                                if v is not None and v == v
                                else [None]
                            )
                        )
                    }
                )
                .explode(col)
                .reset_index(drop=True)
            )
        frame = _frame(rows, rm.properties, rel_schema(rm.type).props, rm.confidence)
        frame.insert(0, "src", _render(rm.from_.id, rows))
        frame.insert(1, "dst", _render(rm.to.id, rows))
        if rm.key is not None:
            frame["key"] = _render(rm.key, rows).fillna("")
        frame[LINE] = rows[LINE].to_numpy()
        graph.rels.append(
            RelFrame(rm.type, rm.from_.label, rm.to.label, frame.reset_index(drop=True))
        )
    return graph
