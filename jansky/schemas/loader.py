"""Finding and reading schema files: YAML that refuses duplicate keys, cached by name."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from jansky.schemas.check import SchemaError
from jansky.schemas.schema import Schema

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
SCHEMA_SUFFIX = ".schema.yaml"
SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects a key given twice (which would silently replace a field)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def schema_path(name: str, directory: Path = SCHEMA_DIR) -> Path:
    """The file holding schema ``name`` in ``directory``."""
    return directory / f"{name}{SCHEMA_SUFFIX}"


def available_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of the schemas in ``directory``."""
    return sorted(
        path.name.removesuffix(SCHEMA_SUFFIX) for path in directory.glob(f"*{SCHEMA_SUFFIX}")
    )


def load_schema(name: str, path: str | Path | None = None) -> Schema:
    """Schema ``name`` (``raw_crash``, ``processed_crash``) from the repository's ``schemas/``.

    With ``path``, read that file instead (not cached). Raises SchemaError when the file is
    missing or unusable.
    """
    if path is not None:
        return read_schema_file(Path(path), name)
    if not SCHEMA_NAME.match(name):
        raise SchemaError(repr(name), ["a schema name is lower-case letters, digits and _"])
    return _load_cached(name)


@cache
def _load_cached(name: str) -> Schema:
    return read_schema_file(schema_path(name), name)


def clear_cache() -> None:
    """Forget cached schemas, so edited files are read again."""
    _load_cached.cache_clear()


def read_schema_file(path: Path, name: str | None = None) -> Schema:
    """Read, check and build the schema in ``path``."""
    origin = str(path)
    if name is None:
        name = path.name.removesuffix(SCHEMA_SUFFIX)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(available_schemas(path.parent)) or "none"
        raise SchemaError(origin, [f"no such file (schemas in {path.parent}: {known})"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(origin, [f"cannot be read: {exc}"]) from exc
    try:
        document = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise SchemaError(origin, [f"bad YAML: {exc}"]) from exc
    return Schema(name, document, origin)
