"""Malformed schema files are refused with a SchemaError that says where and what."""

from __future__ import annotations

from pathlib import Path

import pytest

from jansky.schemas import SchemaError, load_schema, read_schema_file

VALID = """\
$schema: https://json-schema.org/draft/2020-12/schema
$id: urn:jansky:schemas:test:1
type: object
default_permissions: [public, protected]
properties:
  signature:
    type: string
    description: A signature.
    permissions: [public]
    search: {query_type: string, storage_type: text, has_full_version: true}
  count:
    type: [integer, "null"]
    description: A count.
    permissions: [public]
    search: {query_type: integer, storage_type: long}
  dump:
    $ref: "#/$defs/dump"
    description: A nested structure.
    permissions: [public]
$defs:
  dump:
    type: object
    properties:
      status: {type: string, description: Status., permissions: [public]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test.schema.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_base_schema_is_valid(tmp_path):
    schema = read_schema_file(write(tmp_path, VALID))
    assert schema.name == "test"
    assert [field.name for field in schema.search_fields()] == ["signature", "count"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("properties:\n", "properties: [unclosed\n", "bad YAML"),
        ("  count:\n", "  signature:\n", "duplicate key 'signature'"),
        (
            "description: A count.\n    permissions: [public]",
            "description: A count.\n    permissions: [secret]",
            "count.permissions: unknown permission 'secret'",
        ),
        (
            "permissions: [public]\n    search: {query_type: integer",
            "permissions: []\n    search: {query_type: integer",
            "count.permissions: must be a non-empty",
        ),
        (
            "default_permissions: [public, protected]\n",
            "",
            "default_permissions: must be a non-empty",
        ),
        ("query_type: integer", "query_type: number", "count.search.query_type: unknown 'number'"),
        (
            "storage_type: long",
            "storage_type: bigint",
            "count.search.storage_type: unknown 'bigint'",
        ),
        (
            "storage_type: long",
            "storage_type: keyword",
            "query_type 'integer' cannot use storage_type 'keyword'",
        ),
        (
            "storage_type: long}",
            "storage_type: long, has_full_version: true}",
            "count.search.has_full_version: only text fields",
        ),
        (
            "has_full_version: true}",
            "analyzer: commas}",
            "signature.search.analyzer: unknown 'commas'",
        ),
        (
            "storage_type: long}",
            "storage_type: long, sortable: true}",
            "count.search: unknown key 'sortable'",
        ),
        ("storage_type: long}", "storage_type: long, name: Count}", "count.search.name: 'Count'"),
        (
            "storage_type: long}",
            "storage_type: long, name: signature}",
            "search name 'signature' is already declared at signature",
        ),
        (
            "storage_type: long}",
            "storage_type: long, source: count.nothing}",
            "'count.nothing' is not a path in this schema",
        ),
        (
            "permissions: [public]\n    search: {query_type: integer",
            "permisions: [public]\n    search: {query_type: integer",
            "count: unknown key 'permisions'",
        ),
        ('type: [integer, "null"]', "type: [integer, null]", "count.type: unknown type None"),
        ('type: [integer, "null"]', "type: int", "count.type: unknown type 'int'"),
        ('"#/$defs/dump"', '"#/$defs/dumps"', "'#/$defs/dumps' names no entry of $defs"),
        ('"#/$defs/dump"', '"other.yaml#/x"', "only local references"),
        ("  dump:\n    type: object\n", '  dump:\n    $ref: "#/$defs/dump"\n', "$ref cycle"),
        (
            'type: [integer, "null"]',
            'anyOf: [{type: integer}, {type: "null"}]',
            "count: unknown key 'anyOf'",
        ),
        (
            "    description: A count.\n",
            "    description: A count.\n    maxLength: -1\n",
            "not valid JSON Schema draft 2020-12",
        ),
        ("draft/2020-12/schema", "draft-07/schema#", "$schema must be"),
    ],
)
def test_malformed_schema_files(tmp_path, old, new, expected):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(SchemaError) as info:
        read_schema_file(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_every_problem_is_listed(tmp_path):
    text = VALID.replace("[public]", "[everyone]")
    with pytest.raises(SchemaError) as info:
        read_schema_file(write(tmp_path, text))
    assert len(info.value.problems) == text.count("[everyone]")


def test_a_top_level_that_is_not_a_mapping(tmp_path):
    with pytest.raises(SchemaError, match="must be a mapping"):
        read_schema_file(write(tmp_path, "- just\n- a list\n"))


def test_a_search_descriptor_in_a_shared_definition(tmp_path):
    shared = VALID.replace(
        "      status: {type: string, description: Status., permissions: [public]}",
        "      status:\n"
        "        type: string\n"
        "        description: Status.\n"
        "        permissions: [public]\n"
        "        search: {query_type: string, storage_type: keyword}",
    )
    assert read_schema_file(write(tmp_path, shared)).search_fields()[-1].path == "dump.status"
    used_twice = shared.replace(
        "$defs:\n",
        '  again:\n    $ref: "#/$defs/dump"\n    description: Again.\n    permissions: [public]\n'
        "$defs:\n",
    )
    with pytest.raises(SchemaError, match="search name 'status' is already declared at dump"):
        read_schema_file(write(tmp_path, used_twice))


def test_unknown_schema_names(tmp_path):
    with pytest.raises(SchemaError, match="no such file"):
        load_schema("no_such_schema")
    with pytest.raises(SchemaError, match="lower-case letters"):
        load_schema("../etc/passwd")
    with pytest.raises(SchemaError, match="no such file"):
        load_schema("test", tmp_path / "missing.schema.yaml")
