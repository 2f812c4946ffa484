"""JSON columns read by orjson give exactly what json.loads gives (db/json_codec.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custgraph.db.json_codec import loads

_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


def _typed(value: Any) -> Any:
    """The value with each leaf's type beside it (1 == 1.0 == True in Python)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_any_document_reads_as_json_loads_reads_it(value: Any) -> None:
    text = json.dumps(value)
    assert _typed(loads(text)) == _typed(json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        "123456789012345678901234567890",  # beyond 64 bits: orjson would give a float
        "[9223372036854775808, -9223372036854775809]",
        "1e400",  # infinity: orjson refuses it
        '"\\ud800"',  # a lone surrogate: orjson refuses it
        '{"a": 1, "a": 2}',
        "-0",
        "0.1",
    ],
)
def test_the_corners_where_orjson_differs(text: str) -> None:
    assert _typed(loads(text)) == _typed(json.loads(text))
