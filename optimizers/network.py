"""The supply network the disruption models read: plain numpy arrays, no graph library.

The fields follow the notation of Simchi-Levi et al. (2015): node ``j`` has profit margin
``f_j``, weekly demand ``d_j``, inventory ``s_j`` (units on hand, in the node's own product)
and weekly capacity ``c_j``; a node that makes a finished product belongs to ``V``.  The bill
of materials says node ``j`` needs ``r_kj`` units of input ``k`` per unit it makes; every
supply arc ``i -> j`` delivers input ``k`` of ``j``.

References
----------
.. [1] D. Simchi-Levi, W. Schmidt, Y. Wei, P. Y. Zhang, K. Combs, Y. Ge, O. Gusikhin,
   M. Sanders, D. Zhang, "Identifying risks and mitigating disruptions in the automotive
   supply chain", Interfaces 45(5):375-390, 2015.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from graph_schema.errors import ValidationError

__all__ = ["SupplyNetwork", "build_network"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class SupplyNetwork:
    """A multi-tier supply network with bills of materials.

    Parameters
    ----------
    node_ids : tuple of str
        Stable business ids, one per node; position ``j`` is the node's index.
    profit, demand, inventory, capacity : ndarray of float, shape (n,)
        ``f_j`` (per unit of lost finished product), ``d_j`` (units per week),
        ``s_j`` (units on hand), ``c_j`` (units per week).
    finished : ndarray of bool, shape (n,)
        Mask of the set ``V`` of nodes that sell a finished product to demand.
    bom_node, bom_ratio : ndarray, shape (b,)
        Row ``b`` of the bill of materials: node ``bom_node[b]`` needs ``bom_ratio[b]`` units of
        input ``bom_input[b]`` per unit it makes.
    bom_input : tuple of str, length b
        Name of the input (a product id, or any label unique within the node).
    arc_src, arc_bom : ndarray of int, shape (a,)
        Supply arc ``a`` ships from node ``arc_src[a]`` into BOM row ``arc_bom[a]`` (so its
        destination is ``bom_node[arc_bom[a]]``).
    """

    node_ids: tuple[str, ...]
    profit: FloatArray
    demand: FloatArray
    inventory: FloatArray
    capacity: FloatArray
    finished: BoolArray
    bom_node: IntArray
    bom_input: tuple[str, ...]
    bom_ratio: FloatArray
    arc_src: IntArray
    arc_bom: IntArray
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {nid: j for j, nid in enumerate(self.node_ids)})

    @property
    def n_nodes(self) -> int:
        """Number of nodes ``|A|``."""
        return len(self.node_ids)

    @property
    def n_arcs(self) -> int:
        """Number of supply arcs."""
        return int(self.arc_src.shape[0])

    @property
    def arc_dst(self) -> IntArray:
        """Destination node of every arc."""
        return self.bom_node[self.arc_bom]

    def index_of(self, node_id: str) -> int:
        """Return the index of ``node_id``; raise :class:`ValidationError` if unknown."""
        try:
            return self._index[node_id]
        except KeyError:
            raise ValidationError(f"unknown node id {node_id!r}") from None

    def with_changes(
        self,
        *,
        inventory: FloatArray | None = None,
        capacity: FloatArray | None = None,
        demand: FloatArray | None = None,
    ) -> SupplyNetwork:
        """Return a copy with some node data replaced (arrays are copied, then validated)."""
        net = SupplyNetwork(
            node_ids=self.node_ids,
            profit=self.profit.copy(),
            demand=(self.demand if demand is None else np.asarray(demand, float)).copy(),
            inventory=(
                self.inventory if inventory is None else np.asarray(inventory, float)
            ).copy(),
            capacity=(self.capacity if capacity is None else np.asarray(capacity, float)).copy(),
            finished=self.finished.copy(),
            bom_node=self.bom_node.copy(),
            bom_input=self.bom_input,
            bom_ratio=self.bom_ratio.copy(),
            arc_src=self.arc_src.copy(),
            arc_bom=self.arc_bom.copy(),
        )
        net.validate()
        return net

    def validate(self) -> None:
        """Check shapes, signs and references; raise :class:`ValidationError` naming the value.

        Raises
        ------
        ValidationError
            On a duplicate node id, a wrong array length, a negative or non-finite profit,
            demand, inventory or capacity, a bill-of-materials ratio ``<= 0``, a reference to
            an unknown node or BOM row, a self-loop, a duplicate BOM input, or a BOM input
            that no arc supplies.
        """
        n = self.n_nodes
        if len(self._index) != n:
            seen: set[str] = set()
            for nid in self.node_ids:
                if nid in seen:
                    raise ValidationError(f"duplicate node id {nid!r}")
                seen.add(nid)
        for name in ("profit", "demand", "inventory", "capacity", "finished"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise ValidationError(f"{name} has shape {arr.shape}, expected ({n},)")
        for name in ("profit", "demand", "inventory", "capacity"):
            arr = getattr(self, name)
            bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
            if bad.size:
                j = int(bad[0])
                raise ValidationError(
                    f"{name} of node {self.node_ids[j]!r} is {float(arr[j])!r}; expected a finite value >= 0"
                )
        b = self.bom_node.shape[0]
        if self.bom_ratio.shape != (b,) or len(self.bom_input) != b:
            raise ValidationError(
                f"bill of materials arrays disagree in length: bom_node {b}, "
                f"bom_ratio {self.bom_ratio.shape[0]}, bom_input {len(self.bom_input)}"
            )
        bad = np.flatnonzero((self.bom_node < 0) | (self.bom_node >= n))
        if bad.size:
            raise ValidationError(
                f"BOM row {int(bad[0])} refers to unknown node index {int(self.bom_node[bad[0]])}"
            )
        bad = np.flatnonzero(~np.isfinite(self.bom_ratio) | (self.bom_ratio <= 0))
        if bad.size:
            r = int(bad[0])
            raise ValidationError(
                f"BOM ratio of input {self.bom_input[r]!r} of node "
                f"{self.node_ids[self.bom_node[r]]!r} is {float(self.bom_ratio[r])!r}; expected > 0"
            )
        keys = set()
        for r in range(b):
            key = (int(self.bom_node[r]), self.bom_input[r])
            if key in keys:
                raise ValidationError(
                    f"node {self.node_ids[key[0]]!r} lists input {key[1]!r} twice in its bill of materials"
                )
            keys.add(key)
        a = self.arc_src.shape[0]
        if self.arc_bom.shape != (a,):
            raise ValidationError(f"arc_bom has shape {self.arc_bom.shape}, expected ({a},)")
        bad = np.flatnonzero((self.arc_src < 0) | (self.arc_src >= n))
        if bad.size:
            raise ValidationError(
                f"arc {int(bad[0])} ships from unknown node index {int(self.arc_src[bad[0]])}"
            )
        bad = np.flatnonzero((self.arc_bom < 0) | (self.arc_bom >= b))
        if bad.size:
            raise ValidationError(
                f"arc {int(bad[0])} delivers to unknown BOM row {int(self.arc_bom[bad[0]])}"
            )
        dst = self.arc_dst
        bad = np.flatnonzero(self.arc_src == dst)
        if bad.size:
            j = int(self.arc_src[bad[0]])
            raise ValidationError(f"arc {int(bad[0])} is a self-loop on node {self.node_ids[j]!r}")
        supplied = np.zeros(b, dtype=bool)
        supplied[self.arc_bom] = True
        missing = np.flatnonzero(~supplied)
        if missing.size:
            r = int(missing[0])
            raise ValidationError(
                f"input {self.bom_input[r]!r} of node {self.node_ids[self.bom_node[r]]!r} has no supplier arc"
            )


def build_network(
    nodes: Sequence[str],
    *,
    profit: Mapping[str, float] | None = None,
    demand: Mapping[str, float] | None = None,
    inventory: Mapping[str, float] | None = None,
    capacity: Mapping[str, float] | None = None,
    bom: Iterable[tuple[str, str, float]] = (),
    arcs: Iterable[tuple[str, str, str]] = (),
    default_capacity: float = 0.0,
) -> SupplyNetwork:
    """Build and validate a :class:`SupplyNetwork` from ids and edge lists.

    Parameters
    ----------
    nodes : sequence of str
        Node ids in index order.
    profit, demand, inventory, capacity : mapping id -> float, optional
        Missing nodes get 0 (capacity gets ``default_capacity``).  A node with a demand
        entry (even 0) is a finished-product node (in ``V``).
    bom : iterable of (node, input, ratio)
        ``node`` needs ``ratio`` units of ``input`` per unit it makes.
    arcs : iterable of (supplier, node, input)
        ``supplier`` ships ``input`` to ``node``; the input must be in ``node``'s BOM.
    default_capacity : float
        Capacity of nodes absent from ``capacity`` (finite; a node with capacity 0 makes
        nothing and can only ship its inventory).

    Examples
    --------
    >>> net = build_network(["a", "b"], demand={"b": 10.0}, capacity={"a": 5.0, "b": 20.0},
    ...                     bom=[("b", "part", 1.0)], arcs=[("a", "b", "part")])
    >>> net.n_nodes, net.n_arcs, int(net.finished.sum())
    (2, 1, 1)
    """
    ids = tuple(str(x) for x in nodes)
    index = {nid: j for j, nid in enumerate(ids)}

    def lookup(node: str, what: str) -> int:
        try:
            return index[node]
        except KeyError:
            raise ValidationError(f"{what} refers to unknown node {node!r}") from None

    def column(values: Mapping[str, float] | None, name: str, default: float) -> FloatArray:
        arr = np.full(len(ids), default, dtype=float)
        for key, val in (values or {}).items():
            arr[lookup(key, name)] = float(val)
        return arr

    finished = np.zeros(len(ids), dtype=bool)
    for key in demand or {}:
        finished[lookup(key, "demand")] = True
    bom_rows: dict[tuple[int, str], int] = {}
    bom_node: list[int] = []
    bom_input: list[str] = []
    bom_ratio: list[float] = []
    for node, inp, ratio in bom:
        bkey = (lookup(node, "BOM"), str(inp))
        if bkey in bom_rows:
            raise ValidationError(
                f"node {node!r} lists input {inp!r} twice in its bill of materials"
            )
        bom_rows[bkey] = len(bom_node)
        bom_node.append(bkey[0])
        bom_input.append(bkey[1])
        bom_ratio.append(float(ratio))
    arc_src: list[int] = []
    arc_bom: list[int] = []
    for src, dst, inp in arcs:
        i = lookup(src, "arc")
        akey = (lookup(dst, "arc"), str(inp))
        if akey not in bom_rows:
            raise ValidationError(
                f"arc {src!r} -> {dst!r} delivers input {inp!r}, which is not in the BOM of {dst!r}"
            )
        arc_src.append(i)
        arc_bom.append(bom_rows[akey])
    net = SupplyNetwork(
        node_ids=ids,
        profit=column(profit, "profit", 0.0),
        demand=column(demand, "demand", 0.0),
        inventory=column(inventory, "inventory", 0.0),
        capacity=column(capacity, "capacity", default_capacity),
        finished=finished,
        bom_node=np.asarray(bom_node, dtype=np.int64),
        bom_input=tuple(bom_input),
        bom_ratio=np.asarray(bom_ratio, dtype=float),
        arc_src=np.asarray(arc_src, dtype=np.int64),
        arc_bom=np.asarray(arc_bom, dtype=np.int64),
    )
    net.validate()
    return net
