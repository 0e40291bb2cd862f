"""Configuration: environment variables read with everett.

Each component declares its options in a nested ``Config`` class next to the code that uses
them; ``DOCUMENTED_COMPONENTS`` lists those classes so that ``jansky config`` and
``docs/configuration.md`` describe every option from the same source.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from everett.manager import (
    ConfigDictEnv,
    ConfigManager,
    ConfigOSEnv,
    ListOf,
    Option,
    get_config_for_class,
)

CONFIG_DOC = "Run `jansky config` or read docs/configuration.md for every option."

# "module:Class" of every component whose options are documented, in documentation order.
DOCUMENTED_COMPONENTS = [
    "jansky.config:CoreConfig",
    "jansky.storage.s3:S3StorageConfig",
    "jansky.queue.base:QueueConfig",
    "jansky.queue.sqs:SqsQueueConfig",
    "jansky.search.settings:SearchConfig",
    "antenna.config:CollectorConfig",
    "processor.config:ProcessorConfig",
    "processor.cache_manager:SymbolsCacheConfig",
    "processor.signature.siglists:SignatureListsConfig",
    "webapp.config:WebappConfig",
    "cronrun.config:CronConfig",
    "cronrun.config:CronJobsConfig",
    "jansky.symbols.settings:SymbolsConfig",
    "jansky.commands.run:RunConfig",
]


def config_manager(env: Mapping[str, str] | None = None) -> ConfigManager:
    """Return a manager reading ``env`` (for tests) or the process environment."""
    source = ConfigDictEnv(dict(env)) if env is not None else ConfigOSEnv()
    return ConfigManager([source], doc=CONFIG_DOC)


class CoreConfig:
    """Where Jansky keeps its data and which backend serves each concern."""

    class Config:
        data_dir = Option(
            default="var",
            doc=(
                "Root directory of the embedded default deployment; backends whose URL is empty "
                "keep their data under it."
            ),
        )
        storage_url = Option(
            default="",
            doc=(
                "Crash storage: `file:///path` (files, the embedded default, `DATA_DIR/crashes` "
                "when empty) or `s3://bucket[/prefix]` (endpoint from `AWS_ENDPOINT_URL_S3`)."
            ),
        )
        queue_url = Option(
            default="",
            doc=(
                "Crash queues: `sqlite:///path/queue.db` (the embedded default, "
                "`DATA_DIR/queue.db` when empty) or `sqs://?prefix=jansky-` (endpoint from "
                "`AWS_ENDPOINT_URL_SQS`)."
            ),
        )
        search_url = Option(
            default="",
            doc=(
                "Search index: `sqlite:///path/search.db` (`DATA_DIR/search.db` when empty), "
                "`opensearch+http://host:9200` or `elasticsearch+http://host:9200`."
            ),
        )
        database_url = Option(
            default="",
            doc=(
                "Crash Stats database: `sqlite:///path/webapp.db` (`DATA_DIR/webapp.db` when "
                "empty) or `postgres://user:password@host:port/name`."
            ),
        )
        symbols_urls = Option(
            default="",
            parser=ListOf(str),
            doc="Comma-separated symbol server URLs the stackwalker fetches symbols from.",
        )
        symbols_paths = Option(
            default="",
            parser=ListOf(str),
            doc="Comma-separated local directories of Breakpad symbols (`DATA_DIR/symbols` too).",
        )


@dataclass(frozen=True)
class CoreSettings:
    """The resolved core settings; empty backend URLs are replaced by embedded defaults."""

    data_dir: Path
    storage_url: str
    queue_url: str
    search_url: str
    database_url: str
    symbols_urls: tuple[str, ...]
    symbols_paths: tuple[str, ...]


def load_core_settings(env: Mapping[str, str] | None = None) -> CoreSettings:
    """Read the core options and fill in the embedded defaults under ``DATA_DIR``."""
    config = config_manager(env).with_options(CoreConfig)
    data_dir = Path(config("data_dir")).resolve()
    return CoreSettings(
        data_dir=data_dir,
        storage_url=config("storage_url") or f"file://{data_dir / 'crashes'}",
        queue_url=config("queue_url") or f"sqlite://{data_dir / 'queue.db'}",
        search_url=config("search_url") or f"sqlite://{data_dir / 'search.db'}",
        database_url=config("database_url") or f"sqlite://{data_dir / 'webapp.db'}",
        symbols_urls=tuple(config("symbols_urls")),
        symbols_paths=tuple(config("symbols_paths")),
    )


@dataclass(frozen=True)
class DocumentedOption:
    """One option as shown by ``jansky config``."""

    key: str
    default: str
    doc: str
    component: str
    value: str | None


def _import_component(path: str) -> type:
    module_name, class_name = path.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def documented_options(env: Mapping[str, str] | None = None) -> Iterator[DocumentedOption]:
    """Every documented option with its default, doc and the value set in ``env``, if any."""
    environ = os.environ if env is None else env
    for path in DOCUMENTED_COMPONENTS:
        component = _import_component(path)
        for name, (option, _cls) in get_config_for_class(component).items():
            key = name.upper()
            yield DocumentedOption(
                key=key,
                default=_default_text(option),
                doc=option.doc,
                component=component.__doc__.strip().splitlines()[0] if component.__doc__ else "",
                value=environ.get(key),
            )


def _default_text(option: Option) -> str:
    default: Any = option.default
    return default if isinstance(default, str) else ""


def render_markdown() -> str:
    """The configuration reference as Markdown (written to docs/configuration.md)."""
    sections: dict[str, list[str]] = {}
    for option in documented_options(env={}):
        default = f"`{option.default}`" if option.default else "(empty)"
        rows = sections.setdefault(option.component, [])
        rows.append(f"| `{option.key}` | {default} | {option.doc} |")
    lines = [
        "# Configuration reference",
        "",
        "Generated by `make docs` from the option declarations in the code; do not edit by hand.",
        "Every option is an environment variable; backends are chosen by URL.",
    ]
    for component, rows in sections.items():
        lines += [
            "",
            f"## {component}",
            "",
            "| variable | default | description |",
            "|---|---|---|",
        ]
        lines += rows
    return "\n".join(lines) + "\n"
