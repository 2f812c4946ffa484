"""schema.graphql is what the code exports."""

from __future__ import annotations

from pathlib import Path

from custgraph.schema.build import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_schema_file_matches_the_exported_sdl() -> None:
    exported = build_schema().as_str() + "\n"
    assert SCHEMA_FILE.read_text() == exported, (
        "schema.graphql is stale: run `custgraph export-schema > schema.graphql` "
        "and review the diff as an API change"
    )


def test_every_public_type_and_field_has_a_description() -> None:
    schema = build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
        for value_name, value in getattr(graphql_type, "values", {}).items():
            if not value.description:
                missing.append(f"{name}.{value_name}")
    assert missing == []
