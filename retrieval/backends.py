"""Opening a vector store: a Qdrant server when a URL is set, else the embedded engine.

Kept apart from the interface (retrieval/vectorstore.py) so that the backends can import the
interface without a cycle.
"""

from __future__ import annotations

from retrieval.edge_store import EdgeStore
from retrieval.remote_store import RemoteStore
from retrieval.vectorstore import VectorStore


def open_vector_store(
    path: str | None = None, url: str | None = None, collection: str = "products", api_key: str | None = None
) -> VectorStore:
    """The one way to open a vector store: a server when `url` is set, else the embedded engine."""
    if url:
        return RemoteStore(url, collection, api_key=api_key)
    if path is None:
        raise ValueError("the embedded vector store needs a path")
    return EdgeStore(path)
