"""Thin adapters over the ``elasticsearch`` and ``opensearch-py`` clients.

Both expose the same few calls and raise the same two errors: :class:`ClusterRequestError`
when the cluster refused a request (with its status and error type) and ``SearchError`` when
it could not be reached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jansky.search.errors import SearchError


class ClusterRequestError(Exception):
    """The cluster answered a request with an error."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        self.types = _error_types(body)
        super().__init__(f"{status} {', '.join(self.types) or ''}: {_reason(body)}")

    @property
    def reason(self) -> str:
        return _reason(self.body)


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in an error body, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _error_types(body: Any) -> list[str]:
    return [
        node["type"]
        for node in _objects(body)
        if isinstance(node.get("type"), str) and ("reason" in node or "caused_by" in node)
    ]


def _reason(body: Any) -> str:
    """The innermost reason: the most specific explanation."""
    reasons = [node["reason"] for node in _objects(body) if isinstance(node.get("reason"), str)]
    return reasons[-1] if reasons else json.dumps(body)[:300]


# Connections kept open per node: enough for every processor thread to index at once.
CONNECTIONS = 16


class ClusterClient:
    """The calls Super Search needs, over either client library."""

    def __init__(self, flavor: str, url: str, timeout: float) -> None:
        self.flavor = flavor
        self.url = url
        if flavor == "elasticsearch":
            import elasticsearch

            self._client: Any = elasticsearch.Elasticsearch(
                url,
                request_timeout=timeout,
                max_retries=0,
                retry_on_timeout=False,
                connections_per_node=CONNECTIONS,
            )
            self._api_error: tuple[type, ...] = (elasticsearch.ApiError,)
            self._transport_error: tuple[type, ...] = (elasticsearch.TransportError,)
        else:
            import opensearchpy

            self._client = opensearchpy.OpenSearch(
                url,
                timeout=timeout,
                max_retries=0,
                retry_on_timeout=False,
                pool_maxsize=CONNECTIONS,
            )
            self._api_error = ()
            self._transport_error = (opensearchpy.TransportError,)

    def _call(self, function: Any, **kwargs: Any) -> Any:
        try:
            result = function(**kwargs)
        except self._api_error as exc:
            raise ClusterRequestError(exc.meta.status, exc.body) from exc
        except self._transport_error as exc:
            status = getattr(exc, "status_code", None)
            if isinstance(status, int):
                raise ClusterRequestError(status, getattr(exc, "info", None) or str(exc)) from exc
            raise SearchError(f"search cluster {self.url} is unreachable: {exc}") from exc
        except OSError as exc:
            raise SearchError(f"search cluster {self.url} is unreachable: {exc}") from exc
        return getattr(result, "body", result)

    def health(self) -> dict[str, Any]:
        return self._call(self._client.cluster.health)

    def search(self, indices: list[str], body: dict[str, Any]) -> dict[str, Any]:
        return self._call(self._client.search, index=",".join(indices), body=body)

    def bulk(self, operations: list[dict[str, Any]], refresh: bool = False) -> dict[str, Any]:
        key = "operations" if self.flavor == "elasticsearch" else "body"
        kwargs: dict[str, Any] = {key: operations}
        if refresh:
            kwargs["refresh"] = "true"
        return self._call(self._client.bulk, **kwargs)

    def create_index(self, name: str, body: dict[str, Any]) -> bool:
        """Create ``name``; False when it already exists."""
        try:
            if self.flavor == "elasticsearch":
                self._call(
                    self._client.indices.create,
                    index=name,
                    settings=body["settings"],
                    mappings=body["mappings"],
                )
            else:
                self._call(self._client.indices.create, index=name, body=body)
        except ClusterRequestError as exc:
            if "resource_already_exists_exception" in exc.types:
                return False
            raise
        return True

    def put_mapping(self, name: str, mappings: dict[str, Any]) -> None:
        """Add to index ``name`` the ``properties`` of ``mappings`` it lacks."""
        properties = mappings["properties"]
        if self.flavor == "elasticsearch":
            self._call(self._client.indices.put_mapping, index=name, properties=properties)
        else:
            body = {"properties": properties}
            self._call(self._client.indices.put_mapping, index=name, body=body)

    def existing(self, names: list[str]) -> list[str]:
        """Which of ``names`` (or which matching a ``prefix*`` pattern) exist."""
        if not names:
            return []
        found = self._call(
            self._client.indices.get,
            index=",".join(names),
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        return sorted(found)

    def delete(self, names: list[str]) -> None:
        if names:
            self._call(self._client.indices.delete, index=",".join(names))

    def count(self, index: str, query: dict[str, Any]) -> int:
        return int(self._call(self._client.count, index=index, body={"query": query})["count"])

    def refresh(self, pattern: str) -> None:
        self._call(self._client.indices.refresh, index=pattern, allow_no_indices=True)

    def close(self) -> None:
        self._client.close()
