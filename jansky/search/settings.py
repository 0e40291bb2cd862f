"""Options of the search backends (everett component)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from everett.manager import Option

from jansky.config import config_manager


class SearchConfig:
    """Super Search indexing and querying (the backend itself is chosen by `SEARCH_URL`)."""

    class Config:
        search_index_template = Option(
            default="jansky%Y%W",
            doc=(
                "strftime template of the weekly cluster index names, applied to each crash's "
                "processing date (`%W`: Monday-first week number)."
            ),
        )
        search_retention_weeks = Option(
            default="26",
            parser=int,
            doc="Weeks of crashes kept in search; older weekly indices (or rows) are deleted.",
        )
        search_shards = Option(
            default="1",
            parser=int,
            doc="Primary shards per weekly index (one shard keeps facet counts exact).",
        )
        search_replicas = Option(
            default="1", parser=int, doc="Replica shards per weekly index (0 on a single node)."
        )
        search_refresh_interval = Option(
            default="1s",
            doc="How soon indexed crashes become searchable in the cluster (index setting).",
        )
        search_timeout = Option(
            default="30",
            parser=float,
            doc="Seconds a search or an indexing request may take before it fails.",
        )
        search_index_attempts = Option(
            default="5",
            parser=int,
            doc="Attempts to index a crash document (connection errors, rejected fields).",
        )


@dataclass(frozen=True)
class SearchSettings:
    index_template: str = "jansky%Y%W"
    retention_weeks: int = 26
    shards: int = 1
    replicas: int = 1
    timeout: float = 30.0
    index_attempts: int = 5
    refresh_interval: str = "1s"


def load_search_settings(env: Mapping[str, str] | None = None) -> SearchSettings:
    config = config_manager(env).with_options(SearchConfig)
    return SearchSettings(
        index_template=config("search_index_template"),
        retention_weeks=config("search_retention_weeks"),
        shards=config("search_shards"),
        replicas=config("search_replicas"),
        timeout=config("search_timeout"),
        index_attempts=config("search_index_attempts"),
        refresh_interval=config("search_refresh_interval"),
    )
