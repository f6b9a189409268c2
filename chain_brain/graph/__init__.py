"""In-memory projection of a graph snapshot (numpy arrays, scipy CSR, igraph)."""

from chain_brain.graph.chaingraph import ChainGraph

__all__ = ["ChainGraph"]
