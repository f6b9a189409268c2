"""The canonical chain model: node labels, relationship types and their properties.

Everything that names a label, a relationship type or a property key in chain-brain takes it
from here.  Stores derive their tables (embedded) and constraints (Neo4j) from these
declarations, ingest validates against them, and the API documents them.

Conventions: labels PascalCase, relationship types UPPER_SNAKE, property keys snake_case.
Nodes are keyed by a stable business id (``id``).  A relationship is identified by its type,
its two endpoints and a ``key`` (for example the product a ``SUPPLIES`` edge carries), so the
same two firms may trade several products.  Every node and relationship carries provenance:
``source``, ``snapshot`` (the load that wrote it), ``loaded_at`` and ``confidence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "NodeLabel",
    "RelType",
    "PropType",
    "Prop",
    "NodeSchema",
    "RelSchema",
    "PROVENANCE",
    "NODE_SCHEMAS",
    "REL_SCHEMAS",
    "Ownership",
    "Position",
    "node_schema",
    "rel_schema",
]


class NodeLabel(StrEnum):
    FIRM = "Firm"
    PLANT = "Plant"
    PRODUCT = "Product"
    INDUSTRY = "Industry"
    CHAIN = "Chain"
    CHAIN_SEGMENT = "ChainSegment"
    REGION = "Region"
    COUNTRY = "Country"


class RelType(StrEnum):
    OWNS = "OWNS"
    OPERATES = "OPERATES"
    PRODUCES = "PRODUCES"
    SUPPLIES = "SUPPLIES"
    REQUIRES = "REQUIRES"
    IN_SEGMENT = "IN_SEGMENT"
    PART_OF = "PART_OF"
    CLASSIFIED_AS = "CLASSIFIED_AS"
    LOCATED_IN = "LOCATED_IN"
    SUBSTITUTES = "SUBSTITUTES"


class Ownership(StrEnum):
    """Ownership type of a firm (所有制)."""

    SOE = "SOE"
    PRIVATE = "private"
    FOREIGN = "foreign-invested"
    COLLECTIVE = "collective"
    MIXED = "mixed"
    UNKNOWN = "unknown"


class Position(StrEnum):
    """Position of a chain segment (环节) along the chain."""

    UPSTREAM = "upstream"
    MIDSTREAM = "midstream"
    DOWNSTREAM = "downstream"


class PropType(StrEnum):
    STR = "str"
    FLOAT = "float"
    INT = "int"
    DATE = "date"  # ISO 8601 string YYYY-MM-DD
    LIST = "list"  # list of strings


@dataclass(frozen=True)
class Prop:
    """One property key with its type and whether it is required."""

    name: str
    type: PropType = PropType.STR
    required: bool = False
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None


PROVENANCE: tuple[Prop, ...] = (
    Prop("source", PropType.STR, True, "dataset or system the fact came from"),
    Prop("snapshot", PropType.STR, True, "the load (run) that wrote the fact"),
    Prop("loaded_at", PropType.STR, True, "UTC timestamp of the load, ISO 8601"),
    Prop("confidence", PropType.FLOAT, True, "0..1 belief in the fact", 0.0, 1.0),
)


@dataclass(frozen=True)
class NodeSchema:
    label: NodeLabel
    props: tuple[Prop, ...]
    description: str = ""
    search: tuple[str, ...] = ()  # properties worth a text index

    @property
    def prop_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props)


@dataclass(frozen=True)
class RelSchema:
    type: RelType
    sources: tuple[NodeLabel, ...]
    targets: tuple[NodeLabel, ...]
    props: tuple[Prop, ...]
    key_prop: str | None = None  # the property that tells parallel edges apart
    description: str = ""
    temporal: bool = False  # carries valid_from / valid_to
    symmetric: bool = False

    @property
    def prop_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props)


_F = PropType.FLOAT
_S = PropType.STR
_D = PropType.DATE
_POS = (p.value for p in Position)

NODE_SCHEMAS: dict[NodeLabel, NodeSchema] = {
    s.label: s
    for s in (
        NodeSchema(
            NodeLabel.FIRM,
            (
                Prop("name", _S, True, "name in the original language (Chinese where known)"),
                Prop("name_en", _S, False, "English name"),
                Prop("aliases", PropType.LIST, False, "other names seen in sources"),
                Prop("country", _S, False, "ISO 3166-1 alpha-3 code of the home country"),
                Prop("region", _S, False, "Region id of the registered seat"),
                Prop("ownership", _S, False, "ownership type", choices=tuple(o.value for o in Ownership)),
                Prop("parent", _S, False, "id of the ultimate parent firm"),
            ),
            "A legal entity or group: supplier, manufacturer, chain-lead enterprise.",
            search=("name", "name_en"),
        ),
        NodeSchema(
            NodeLabel.PLANT,
            (
                Prop("name", _S, True, "plant name"),
                Prop("name_en", _S, False),
                Prop("operator", _S, False, "id of the operating firm"),
                Prop("lat", _F, False, "WGS84 latitude", -90.0, 90.0),
                Prop("lon", _F, False, "WGS84 longitude", -180.0, 180.0),
                Prop("region", _S, False, "Region id"),
                Prop("country", _S, False, "ISO 3166-1 alpha-3"),
                Prop("status", _S, False, "operating / idle / construction / retired / down"),
                Prop("start_year", PropType.INT, False, minimum=1600, maximum=2100),
            ),
            "A production site of a firm.",
            search=("name", "name_en"),
        ),
        NodeSchema(
            NodeLabel.PRODUCT,
            (
                Prop("name_zh", _S, False, "Chinese name"),
                Prop("name_en", _S, True, "English name"),
                Prop("hs_code", _S, False, "HS 2022 code (2, 4 or 6 digits)"),
                Prop("unit", _S, False, "unit of quantities, e.g. kt"),
            ),
            "A good or service traded along a chain.",
            search=("name_zh", "name_en"),
        ),
        NodeSchema(
            NodeLabel.INDUSTRY,
            (
                Prop("name_zh", _S, False),
                Prop("name_en", _S, False),
                Prop("system", _S, True, "GB/T 4754-2017, ISIC4, NAICS2017 or BEA"),
                Prop("code", _S, True, "code within the system"),
                Prop("level", _S, False, "section / division / group / class"),
                Prop("isic", _S, False, "ISIC Rev.4 code where known"),
            ),
            "An industry class of a classification system.",
            search=("name_zh", "name_en"),
        ),
        NodeSchema(
            NodeLabel.CHAIN,
            (Prop("name_zh", _S, False), Prop("name_en", _S, True), Prop("description", _S)),
            "An industry chain (产业链), e.g. steel or new-energy vehicles.",
        ),
        NodeSchema(
            NodeLabel.CHAIN_SEGMENT,
            (
                Prop("chain", _S, True, "Chain id"),
                Prop("name_zh", _S, False),
                Prop("name_en", _S, True),
                Prop("position", _S, True, choices=tuple(_POS)),
                Prop("order", PropType.INT, True, "0 = most upstream", 0),
            ),
            "A segment (环节) of a chain.",
        ),
        NodeSchema(
            NodeLabel.REGION,
            (
                Prop("name", _S, True),
                Prop("name_en", _S, False),
                Prop("country", _S, False, "ISO 3166-1 alpha-3"),
                Prop("level", _S, False, "province / state / city / macro"),
            ),
            "A subnational region (province, state, city) or a macro region.",
        ),
        NodeSchema(
            NodeLabel.COUNTRY,
            (
                Prop("name_en", _S, True),
                Prop("name_zh", _S, False),
                Prop("iso2", _S, False),
            ),
            "A country, keyed by its ISO 3166-1 alpha-3 code.",
        ),
    )
}

_L = NodeLabel
_SHARE = Prop("share", _F, False, "0..1", 0.0, 1.0)

REL_SCHEMAS: dict[RelType, RelSchema] = {
    s.type: s
    for s in (
        RelSchema(RelType.OWNS, (_L.FIRM,), (_L.FIRM,), (_SHARE,), None, "equity stake"),
        RelSchema(RelType.OPERATES, (_L.FIRM,), (_L.PLANT,), (_SHARE,), None, "owner of a plant"),
        RelSchema(
            RelType.PRODUCES,
            (_L.PLANT, _L.FIRM),
            (_L.PRODUCT,),
            (
                Prop("process", _S, False, "e.g. BOF, EAF, BF, DRI; empty when not split"),
                Prop("capacity", _F, False, "nominal capacity per period", 0.0),
                Prop("unit", _S, False, "unit of capacity, e.g. kt"),
                Prop("period", _S, False, "period of capacity, e.g. year or week"),
            ),
            "process",
            "a site or firm makes a product",
        ),
        RelSchema(
            RelType.SUPPLIES,
            (_L.PLANT, _L.FIRM),
            (_L.PLANT, _L.FIRM),
            (
                Prop("product", _S, False, "Product id shipped on this edge"),
                Prop("volume", _F, False, "volume per period", 0.0),
                Prop("unit", _S, False),
                _SHARE,
                Prop("lead_time_days", _F, False, minimum=0.0),
                Prop("valid_from", _D, False),
                Prop("valid_to", _D, False),
            ),
            "product",
            "a supplier ships a product to a customer",
            temporal=True,
        ),
        RelSchema(
            RelType.REQUIRES,
            (_L.PRODUCT,),
            (_L.PRODUCT,),
            (Prop("quantity", _F, False, "units of input per unit of output", 0.0),),
            None,
            "bill of materials: (output)-[:REQUIRES]->(input)",
        ),
        RelSchema(
            RelType.IN_SEGMENT,
            (_L.PRODUCT, _L.FIRM, _L.PLANT, _L.INDUSTRY),
            (_L.CHAIN_SEGMENT,),
            (),
        ),
        RelSchema(
            RelType.PART_OF,
            (_L.CHAIN_SEGMENT, _L.REGION, _L.INDUSTRY),
            (_L.CHAIN, _L.REGION, _L.COUNTRY, _L.INDUSTRY),
            (),
            None,
            "segment of a chain, region of a country, industry class of a group",
        ),
        RelSchema(
            RelType.CLASSIFIED_AS, (_L.FIRM, _L.PLANT, _L.PRODUCT), (_L.INDUSTRY,), ()
        ),
        RelSchema(
            RelType.LOCATED_IN, (_L.FIRM, _L.PLANT), (_L.REGION, _L.COUNTRY), ()
        ),
        RelSchema(
            RelType.SUBSTITUTES,
            (_L.PRODUCT,),
            (_L.PRODUCT,),
            (Prop("similarity", _F, False, "0..1", 0.0, 1.0),),
            None,
            "one product can replace the other",
            symmetric=True,
        ),
    )
}


def node_schema(label: str | NodeLabel) -> NodeSchema:
    """Return the schema of ``label``; raise ValidationError for an unknown label."""
    from graph_schema.errors import ValidationError

    try:
        return NODE_SCHEMAS[NodeLabel(label)]
    except ValueError:
        known = ", ".join(n.value for n in NodeLabel)
        raise ValidationError(f"Unknown node label {label!r}; expected one of {known}.") from None


def rel_schema(rel_type: str | RelType) -> RelSchema:
    """Return the schema of ``rel_type``; raise ValidationError for an unknown type."""
    from graph_schema.errors import ValidationError

    try:
        return REL_SCHEMAS[RelType(rel_type)]
    except ValueError:
        known = ", ".join(r.value for r in RelType)
        raise ValidationError(
            f"Unknown relationship type {rel_type!r}; expected one of {known}."
        ) from None

