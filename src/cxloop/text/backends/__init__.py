"""Text backends behind one small protocol, registered by name (``--backend NAME``)."""

from cxloop.text.backends.base import TextBackend, available_backends, get_backend, register_backend

__all__ = ["TextBackend", "available_backends", "get_backend", "register_backend"]
