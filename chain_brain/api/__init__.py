"""The HTTP API of chain-brain: ``create_app(settings)`` and ``serve(settings, host, port)``."""

from chain_brain.api.app import create_app, serve

__all__ = ["create_app", "serve"]
