"""Request and response models of the API (``XCreate`` in, ``XPublic`` out) and the
conversion of canonical frames and service results to them."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from chain_brain.services.jobs import Job, JobState
from chain_brain.store import RunRecord, Scope
from graph_schema.frames import GraphData

__all__ = [
    "FieldErrorPublic",
    "ProblemPublic",
    "HealthPublic",
    "NodePublic",
    "NodePage",
    "EdgePublic",
    "GraphPublic",
    "ChainPublic",
    "ChainPage",
    "ChainMapPublic",
    "TablePage",
    "ScopeIn",
    "JobPublic",
    "RunPublic",
    "RunPage",
    "AnalysisCreate",
    "ScenarioCreate",
    "ScenarioPublic",
    "ResultPublic",
    "ComparisonPublic",
    "TelemetryCreate",
    "TwinEventCreate",
    "ApiKeyCreate",
    "ApiKeyPublic",
    "ApiKeyCreated",
    "AuditPublic",
    "jsonable",
    "graph_public",
    "table_rows",
    "job_public",
    "run_public",
]


def jsonable(value: Any) -> Any:
    """Plain JSON values from numpy, pandas, dataclasses and pydantic models (NaN -> None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pd.DataFrame):
        return table_rows(value)
    if isinstance(value, pd.Series):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def table_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): jsonable(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


class FieldErrorPublic(BaseModel):
    field: str
    value: Any = None
    reason: str


class ProblemPublic(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["urn:chain-brain:problem:not-found"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldErrorPublic] | None = None


class HealthPublic(BaseModel):
    status: Literal["ok"]
    schema_version: int | None
    code_schema_version: int


class NodePublic(BaseModel):
    label: str
    id: str
    properties: dict[str, Any]


class NodePage(BaseModel):
    items: list[NodePublic]
    total: int
    limit: int
    offset: int


class EdgePublic(BaseModel):
    type: str
    src_label: str
    src: str
    dst_label: str
    dst: str
    key: str
    properties: dict[str, Any]


class GraphPublic(BaseModel):
    nodes: list[NodePublic]
    edges: list[EdgePublic]


def _props(rec: dict[str, Any], drop: tuple[str, ...]) -> dict[str, Any]:
    return {
        k: v
        for k, v in ((k, jsonable(v)) for k, v in rec.items() if k not in drop)
        if v is not None
    }


def node_public(label: str, rec: dict[str, Any]) -> NodePublic:
    return NodePublic(label=label, id=str(rec["id"]), properties=_props(rec, ("id",)))


def graph_public(data: GraphData) -> GraphPublic:
    nodes = [
        node_public(nf.label.value, r) for nf in data.nodes for r in nf.data.to_dict("records")
    ]
    edges = [
        EdgePublic(
            type=rf.type.value,
            src_label=rf.src_label.value,
            src=str(r["src"]),
            dst_label=rf.dst_label.value,
            dst=str(r["dst"]),
            key=str(r.get("key") or ""),
            properties=_props(r, ("src", "dst", "key")),
        )
        for rf in data.rels
        for r in rf.data.to_dict("records")
    ]
    return GraphPublic(nodes=nodes, edges=edges)


class ChainPublic(BaseModel):
    id: str
    name_en: str | None = None
    name_zh: str | None = None
    segments: int


class ChainPage(BaseModel):
    items: list[ChainPublic]
    total: int
    limit: int
    offset: int


class ChainMapPublic(BaseModel):
    chain: dict[str, Any]
    segments: list[dict[str, Any]]
    flows: list[dict[str, Any]]


class TablePage(BaseModel):
    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(
        cls, name: str, table: pd.DataFrame, limit: int | None = None, offset: int = 0
    ) -> TablePage:
        """Rows ``offset .. offset + limit`` of ``table`` (all of them when ``limit`` is None)."""
        if limit is None:
            limit, offset = max(1, len(table)), 0
        return cls(
            name=name,
            columns=[str(c) for c in table.columns],
            rows=table_rows(table.iloc[offset : offset + limit]),
            total=len(table),
            limit=limit,
            offset=offset,
        )


class ScopeIn(BaseModel):
    """Which part of the graph: see :class:`chain_brain.store.Scope`."""

    model_config = ConfigDict(extra="forbid")

    chain: str | None = None
    region: str | None = None
    focus: str | None = None
    tiers: int = Field(default=1, ge=1, le=10)
    direction: Literal["up", "down", "both"] = "both"
    as_of: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")

    def to_scope(self) -> Scope:
        return Scope(**self.model_dump())


class JobPublic(BaseModel):
    id: str
    type: str
    state: JobState
    progress: float = Field(ge=0.0, le=1.0)
    message: str
    result_kind: str | None
    result_id: str | None
    error: str | None
    error_type: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None


def job_public(job: Job) -> JobPublic:
    return JobPublic(**{f: getattr(job, f) for f in JobPublic.model_fields})


class RunPublic(BaseModel):
    kind: str
    id: str
    created_at: str
    params: dict[str, Any]
    summary: dict[str, Any]
    tables: dict[str, int] = Field(description="table name -> number of rows")


class RunPage(BaseModel):
    items: list[RunPublic]
    total: int
    limit: int
    offset: int


def run_public(run: RunRecord) -> RunPublic:
    return RunPublic(
        kind=run.kind,
        id=run.id,
        created_at=run.created_at,
        params=jsonable(run.params),
        summary=jsonable(run.summary),
        tables={k: len(v) for k, v in run.tables.items()},
    )


class AnalysisCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: ScopeIn = Field(default_factory=lambda: ScopeIn())
    params: dict[str, Any] = Field(default_factory=dict)


class ScenarioCreate(BaseModel):
    """A what-if (see :class:`chain_brain.services.scenarios.ScenarioSpec`): which firms,
    plants or regions go down, for how many weeks, in which part of the graph."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    scope: ScopeIn = Field(default_factory=lambda: ScopeIn())
    disrupted: list[str] = Field(default_factory=list, description="firm or plant ids")
    regions: list[str] = Field(default_factory=list, description="region or ISO3 country ids")
    ttr_weeks: float = Field(default=4.0, ge=0.0, le=520.0, description="time to recover")
    assumptions: dict[str, float] = Field(
        default_factory=dict,
        description="utilisation, weeks_of_cover, periods_per_year, default_ttr",
    )
    sweep: bool = False
    use_twins: bool = True


class ScenarioPublic(ScenarioCreate):
    id: str
    created_at: str


class ResultPublic(BaseModel):
    """A service result (an explanation, a twin state, a forecast) as JSON."""

    result: Any


class ComparisonPublic(BaseModel):
    a: str
    b: str
    result: Any


class TelemetryRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timestamp: str = Field(description="start of the reading interval, ISO 8601")
    unit_id: str = Field(min_length=1)
    value: float | None = Field(description="load reading (e.g. kWh per interval); null = missing")


class TelemetryCreate(BaseModel):
    """Readings of the plant's units; pivoted into one batch on a common time axis."""

    model_config = ConfigDict(extra="forbid")

    rows: list[TelemetryRow] = Field(min_length=1, max_length=1_000_000)
    step_minutes: int = Field(default=15, ge=1, le=1440)


class TwinEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["outage_start", "outage_end", "maintenance"]
    start: str = Field(description="ISO 8601")
    end: str | None = Field(default=None, description="required for maintenance")
    unit_id: str | None = Field(default=None, description="null: every unit of the plant")
    cause: str = ""


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["admin", "analyst", "chain-lead", "viewer"]
    tenant: str | None = None
    chain: str | None = None
    firm: str | None = None


class ApiKeyPublic(BaseModel):
    key_id: str
    role: str
    tenant: str | None
    chain: str | None
    firm: str | None
    created_at: str
    revoked: bool


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the API key; shown only in this response")


class AuditPublic(BaseModel):
    id: str
    created_at: str
    action: str
    target: str
    key_id: str
    role: str
    tenant: str | None
    outcome: str
