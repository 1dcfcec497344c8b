"""Keys that ask about one disease ('diabetes status') are disease keys."""

from __future__ import annotations

import pytest

from harmonize.ground import load_lexicon
from harmonize.ground.status_keys import StatusKeys


@pytest.fixture(scope="module")
def keys() -> StatusKeys:
    return StatusKeys(load_lexicon())


@pytest.mark.parametrize(("key", "asks"), [
    ("diabetes status", True),
    ("Asthma_Status", True),  # the key's own spelling does not matter
    ("vital status", False),  # no disease
    ("ER status", False),  # an abbreviation: a receptor's status
    ("cancer status", False),  # a tumour's state, not whether there is one
    ("disease status", False),  # the field table already knows it
    ("diabetes", False),  # no status word
])
def test_a_disease_name_and_a_status_word(keys, key, asks):
    assert keys.asks(key) is asks
    assert keys.roles({key: "x", "age": "50"}) == ({key: "disease"} if asks else {})
