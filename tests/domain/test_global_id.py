"""Global ids: the per-type encoder of list pages writes what `encode_global_id` writes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from custgraph.global_id import decode_global_id, encode_global_id, global_id_encoder

# Every row-backed type, of each length modulo 3 (`Customer:` is 9 bytes, `Note:` 5, ...).
TYPES = ("Customer", "Address", "Order", "PointsEntry", "CreditEntry", "GiftCard", "Note", "X")


@given(st.sampled_from(TYPES), st.integers(min_value=1, max_value=2**63 - 1))
def test_the_encoder_of_a_type_writes_the_same_ids(type_name: str, db_id: int) -> None:
    encoded = global_id_encoder(type_name)(db_id)
    assert encoded == encode_global_id(type_name, db_id)
    assert decode_global_id(encoded) == (type_name, db_id)
