"""The real hasher: argon2id (pwdlib), salted, and a hash of a scheme it does not hold never matches."""

from __future__ import annotations

from services.identity.adapters.passwords import Argon2Hasher


def test_argon2id_hashes_are_salted_and_verify_only_their_password():
    hasher = Argon2Hasher()
    first, second = hasher.hash("a long passphrase"), hasher.hash("a long passphrase")
    assert first.startswith("$argon2id$") and "a long passphrase" not in first
    assert first != second  # a salt each
    assert hasher.verify("a long passphrase", first) and hasher.verify("a long passphrase", second)
    assert not hasher.verify("a long passphrasE", first)


def test_a_hash_of_an_unknown_scheme_never_matches():
    assert not Argon2Hasher().verify("password", "$md5$not-a-scheme-we-hold")
    assert not Argon2Hasher().verify("h:password", "h:password")
