"""Scoped snapshots read only what the scope selects, and equal the reference cut.

The oracle is :func:`chain_brain.store.scope.apply_scope` applied to the whole snapshot of
the same store; the graph is a seeded synthetic one (2 000 firms, 16 000 supply edges).
"""

from __future__ import annotations

import functools

import pandas as pd
import pytest

from chain_brain.store import GraphStore, Scope
from chain_brain.store.scope import apply_scope
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.frames import GraphData
from ingest.synthetic import generate


@functools.cache
def _graph() -> GraphData:
    return generate(n_firms=2_000, n_edges=16_000, n_industries=60, n_chains=12, seed=7)


def _nulls_as_none(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype.kind not in "fiub" and str(out[col].dtype) != "Int64":
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _canonical(data: GraphData) -> dict[tuple[str, ...], pd.DataFrame]:
    out: dict[tuple[str, ...], pd.DataFrame] = {}
    for nf in data.nodes:
        out[(nf.label.value,)] = _nulls_as_none(nf.data.sort_values("id").reset_index(drop=True))
    for rf in data.rels:
        if len(rf.data):
            key = (rf.type.value, rf.src_label.value, rf.dst_label.value)
            assert key not in out, f"two frames for {key}"
            out[key] = _nulls_as_none(
                rf.data.sort_values(["src", "dst", "key"]).reset_index(drop=True)
            )
    return out


def _assert_same(got: GraphData, want: GraphData, scope: Scope) -> None:
    a, b = _canonical(got), _canonical(want)
    assert sorted(a) == sorted(b), scope
    for key in a:
        # a text column is object or str depending on whether the rows read hold a value;
        # numeric columns keep their schema dtype
        pd.testing.assert_frame_equal(a[key], b[key], check_dtype=False, obj=f"{scope} {key}")
        for col in b[key].columns:
            if b[key][col].dtype.kind in "fiu" or str(b[key][col].dtype) == "Int64":
                assert a[key][col].dtype == b[key][col].dtype, (scope, key, col)


def _scopes(data: GraphData) -> list[Scope]:
    sup = pd.concat([f.data for f in data.rel_frames("SUPPLIES")], ignore_index=True)
    busiest = sup["src"].value_counts().index[0]
    customer = sup["dst"].value_counts().index[5]
    plants = data.node_table("Plant")["id"]
    chains = data.node_table("Chain")["id"]
    regions = data.node_table("Region")["id"]
    dated = sup.loc[sup["valid_from"].notna(), "valid_from"] if "valid_from" in sup else []
    as_of = str(sorted(dated)[len(dated) // 2]) if len(dated) else "2020-06-30"
    out = [Scope(chain=c) for c in chains.iloc[:4]]
    out += [Scope(region=r) for r in regions.iloc[:3]] + [Scope(region="CHN")]
    out += [
        Scope(focus=busiest, tiers=1, direction="both"),
        Scope(focus=busiest, tiers=2, direction="down"),
        Scope(focus=customer, tiers=2, direction="up"),
        Scope(focus=customer, tiers=0),
        Scope(focus=str(plants.iloc[3]), tiers=3, direction="both"),
        Scope(chain=str(chains.iloc[0]), region="CHN"),
        Scope(chain=str(chains.iloc[1]), focus=customer, tiers=3),
        Scope(focus=busiest, tiers=2, as_of=as_of),
        Scope(chain=str(chains.iloc[2]), as_of=as_of),
        Scope(region=str(regions.iloc[0]), as_of="2000-01-01"),
    ]
    return out


def test_backend_scoped_snapshot_equals_reference(store: GraphStore) -> None:
    data = _graph()
    store.write(data)
    whole = store.snapshot()
    scopes = _scopes(data)
    nonempty = 0
    for scope in scopes:
        want = apply_scope(whole, scope)
        got = store.snapshot(scope)
        _assert_same(got, want, scope)
        nonempty += len(got.node_table("Firm")) > 1
    assert nonempty >= len(scopes) // 2  # the scopes do select something


def test_backend_scoped_errors_match_reference(store: GraphStore) -> None:
    store.write(_graph())
    firm = str(_graph().node_table("Firm")["id"].iloc[0])
    with pytest.raises(NotFoundError, match="no-such-chain"):
        store.snapshot(Scope(chain="no-such-chain"))
    with pytest.raises(NotFoundError, match="atlantis"):
        store.snapshot(Scope(region="atlantis"))
    with pytest.raises(ValidationError, match="-1"):
        store.snapshot(Scope(focus=firm, tiers=-1))
    with pytest.raises(ValidationError, match="sideways"):
        store.snapshot(Scope(focus=firm, direction="sideways"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="2020/01/01"):
        store.snapshot(Scope(focus=firm, as_of="2020/01/01"))


def test_a_column_outside_the_schema_is_refused_before_it_reaches_a_query() -> None:
    from chain_brain.store.scope import check_node_column, check_rel_column
    from graph_schema.errors import ValidationError
    from graph_schema.model import NodeLabel, RelType

    check_node_column(NodeLabel.FIRM, "region")
    check_rel_column(RelType.SUPPLIES, "product")
    check_rel_column(RelType.SUPPLIES, "dst")
    with pytest.raises(ValidationError, match="Firm has no property 'name; DROP'"):
        check_node_column(NodeLabel.FIRM, "name; DROP")
    with pytest.raises(ValidationError, match="SUPPLIES has no column 'region'"):
        check_rel_column(RelType.SUPPLIES, "region")
