"""Compute the read views of chosen chains ahead of their first reader, and again after
every change to the graph.

A chain map or chokepoint list of the national-scale graph takes about 0.6 s to compute
(``benchmarks/bench_api.py``); once computed it is served from
:func:`~chain_brain.services.cache.view_cache` in well under 100 ms until the graph changes.
:class:`ViewWarmer` keeps the views of the chains that matter most (those bound to chain-lead
API keys) computed: once at start-up, then whenever :meth:`GraphStore.revision` moves, in one
background thread, so that a chain lead does not pay the computation on its first read.
Other chains are computed on their first read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chain_brain.store import GraphStore
from graph_schema.errors import ChainBrainError, ValidationError

__all__ = ["WarmReport", "warm_chain_views", "ViewWarmer"]

log = logging.getLogger(__name__)


@dataclass
class WarmReport:
    """What one pass of :func:`warm_chain_views` computed."""

    revision: int
    chains: int = 0
    failed: int = 0


def warm_chain_views(store: GraphStore, chains: Sequence[str]) -> WarmReport:
    """Compute (or find cached) the chain map, chokepoint list and member keys of each chain.

    A chain that no longer exists or fails to compute is counted in ``failed`` and skipped;
    its readers get the error on their own request, as without warming.
    """
    from chain_brain.services.analysis import chokepoint_list
    from chain_brain.services.chains import chain_map
    from chain_brain.services.security import chain_member_keys

    report = WarmReport(revision=store.revision())
    for chain in dict.fromkeys(chains):  # each once, in the given order
        try:
            chain_map(store, chain)
            chokepoint_list(store, chain)
            chain_member_keys(store, chain)
            report.chains += 1
        except ChainBrainError as exc:
            report.failed += 1
            log.info("not warming chain %r: %s", chain, exc)
    return report


class ViewWarmer:
    """A daemon thread that keeps the views of ``chains`` computed for the current revision.

    Parameters
    ----------
    store : the store whose views are served.
    chains : chain ids to keep warm, most important first, or a function returning them
        (asked at each pass, so chains bound to keys created later are warmed too).
    interval : seconds between two looks at the store's revision (>= 0.05).

    ``ready`` is set after the first pass; ``last`` is the report of the latest pass.
    """

    def __init__(
        self,
        store: GraphStore,
        chains: Sequence[str] | Callable[[], Sequence[str]],
        *,
        interval: float = 5.0,
    ) -> None:
        if interval < 0.05:
            raise ValidationError(f"interval must be >= 0.05 s, got {interval}.")
        self.store = store
        self._chains = chains
        self.interval = interval
        self.ready = threading.Event()
        self.last: WarmReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chain-brain-warmer", daemon=True)

    def start(self) -> ViewWarmer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end after its current chain, and wait up to ``timeout`` s."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        seen: tuple[int, tuple[str, ...]] | None = None
        while not self._stop.is_set():
            try:
                chains = tuple(self._chains() if callable(self._chains) else self._chains)
                if (self.store.revision(), chains) != seen:
                    self.last = warm_chain_views(self.store, chains)
                    seen = (self.last.revision, chains)
            except ChainBrainError as exc:  # an unreachable store: try again later
                log.warning("view warm-up failed: %s", exc)
            finally:
                self.ready.set()
            self._stop.wait(self.interval)
