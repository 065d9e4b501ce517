"""Blind indexes: equal values match, without the key nothing can be read or checked from them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from shared.platform.blind_index import BlindIndex
from shared.platform.sealing import generate_key_encryption_key


def test_equal_values_index_alike_and_the_index_holds_nothing_of_the_value():
    index = BlindIndex.derived_from(generate_key_encryption_key(), "intake.persons")
    nhs = index.of("nhs_number", "9434765919")
    assert nhs == index.of("nhs_number", "9434765919") and len(nhs) == 64
    assert "9434765919" not in nhs and nhs != index.of("nhs_number", "9434765918")
    # The same value as another field is another index: a date cannot be matched against a postcode.
    assert index.of("family_name", "smith") != index.of("given_name", "smith")
    assert index.of("postcode", None) is None and index.of("postcode", "") is None


def test_the_key_is_the_services_own_and_is_not_its_data_encryption_key():
    setting = generate_key_encryption_key()
    mine, theirs = BlindIndex.derived_from(setting, "intake.persons"), BlindIndex.derived_from(
        generate_key_encryption_key(), "intake.persons")
    assert mine.of("nhs_number", "9434765919") != theirs.of("nhs_number", "9434765919")
    assert mine.of("x", "v") != BlindIndex.derived_from(setting, "other").of("x", "v")
    # Nor is it a plain digest, or an HMAC under the setting itself: a guess cannot be checked without the key.
    assert mine.of("x", "v") not in (hashlib.sha256(b"x\x00v").hexdigest(),
                                     hmac.new(setting.encode(), b"x\x00v", hashlib.sha256).hexdigest())


def test_a_short_key_is_refused():
    with pytest.raises(ValueError):
        BlindIndex(b"short")
