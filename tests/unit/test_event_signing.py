"""Signed envelopes (shared/platform/messaging/signing.py): only the topic's owner can publish on it.

Keys are made with the cryptography library directly, and every expected signature is checked with
cryptography's own Ed25519 verification, so no expected value comes from the code under test.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from pydantic import ValidationError

from shared.platform.messaging.signing import (
    BAD_SIGNATURE,
    UNSIGNED,
    WRONG_SIGNER,
    EnvelopeSigner,
    EnvelopeVerifier,
    ForgedEnvelope,
    canonical_bytes,
    check_service_keys,
    load_private_key,
    parse_verify_keys,
)
from shared.platform.settings import PlatformSettings
from shared.schemas.envelope import Envelope
from shared.schemas.topics import CASES, OFFERS, PARTNER_SUBMISSIONS, REFERRALS, TRIAGE_DECISIONS

SERVICES = ("intake", "triage", "caseload", "outcomes", "identity")
KEYS = {name: Ed25519PrivateKey.generate() for name in SERVICES}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def private_text(key: Ed25519PrivateKey) -> str:
    return b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def public_text(key: Ed25519PrivateKey) -> str:
    return b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


VERIFY_KEYS = ",".join(f"{name}={public_text(key)}" for name, key in KEYS.items())


def verifier() -> EnvelopeVerifier:
    return EnvelopeVerifier(parse_verify_keys(VERIFY_KEYS))


def envelope(**changes) -> Envelope:
    attributes = dict(
        id=uuid.UUID("6f1c2a7e-0000-4000-8000-000000000001"), type="referral.received", source="/services/intake",
        subject="0b7f5d1e-0000-4000-8000-000000000002", time=datetime(2026, 12, 5, 10, 30, tzinfo=UTC),
        schemaversion=1, correlationid=uuid.UUID("9a3e4c10-0000-4000-8000-000000000003"),
        data={"referral_id": "0b7f5d1e-0000-4000-8000-000000000002", "person": {"given_name": "Ann"}},
    )
    return Envelope(**(attributes | changes))


def wire(signed: Envelope) -> Envelope:
    """As a consumer reads it: serialised by the producer, parsed off the record's bytes."""
    return Envelope.model_validate_json(signed.model_dump_json().encode())


def refusal(env: Envelope, topic: str = REFERRALS) -> ForgedEnvelope:
    with pytest.raises(ForgedEnvelope) as refused:
        verifier().verify(env, topic)
    return refused.value


def test_the_owner_signs_and_every_consumer_accepts_it_after_the_wire():
    signed = EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), REFERRALS)
    assert signed.signer == "intake"
    verifier().verify(wire(signed), REFERRALS)  # no exception


def test_the_signature_is_ed25519_by_the_owners_key_over_the_documented_canonical_form():
    signed = EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), REFERRALS)
    # The canonical form, written out by hand: the context line, then the topic and every attribute
    # but the signature, keys sorted, no whitespace. If this changes, signatures across versions break.
    expected = (
        b"community-connector-referrals/event-envelope/v1\n"
        b'{"envelope":{"causationid":null,"correlationid":"9a3e4c10-0000-4000-8000-000000000003",'
        b'"data":{"person":{"given_name":"Ann"},"referral_id":"0b7f5d1e-0000-4000-8000-000000000002"},'
        b'"datacontenttype":"application/json","id":"6f1c2a7e-0000-4000-8000-000000000001",'
        b'"schemaversion":1,"signer":"intake","source":"/services/intake",'
        b'"specversion":"1.0","subject":"0b7f5d1e-0000-4000-8000-000000000002",'
        b'"time":"2026-12-05T10:30:00Z","traceparent":null,"tracestate":null,"type":"referral.received"},'
        b'"topic":"intake.referrals"}'
    )
    assert canonical_bytes(wire(signed), REFERRALS) == expected
    raw = base64.urlsafe_b64decode(signed.signature + "=" * (-len(signed.signature) % 4))
    KEYS["intake"].public_key().verify(raw, expected)  # cryptography's own check: raises if wrong
    with pytest.raises(InvalidSignature):
        KEYS["triage"].public_key().verify(raw, expected)


def test_the_canonical_form_ignores_spellings_the_envelope_normalises():
    """`+00:00` for `Z` or upper-case UUIDs on the wire are the same envelope, so the same signature."""
    signed = EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), REFERRALS)
    text = signed.model_dump_json().replace("2026-12-05T10:30:00Z", "2026-12-05T10:30:00+00:00")
    text = text.replace("6f1c2a7e-0000-4000-8000-000000000001", "6F1C2A7E-0000-4000-8000-000000000001")
    verifier().verify(Envelope.model_validate_json(text), REFERRALS)


def test_an_unsigned_envelope_is_refused_as_unsigned():
    refused = refusal(envelope())
    assert refused.kind == UNSIGNED
    assert str(refused) == "forged event refused (unsigned): intake.referrals accepts only envelopes signed by intake"
    # A signer without a signature, or a signature without a signer, is no better.
    signed = EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), REFERRALS)
    assert refusal(signed.model_copy(update={"signature": None})).kind == UNSIGNED
    assert refusal(signed.model_copy(update={"signer": None})).kind == UNSIGNED


@pytest.mark.parametrize("field, value", [
    ("data", {"referral_id": "0b7f5d1e-0000-4000-8000-000000000002", "person": {"given_name": "Eve"}}),
    ("subject", "another-aggregate"),
    ("type", "referral.status_changed"),
    ("id", uuid.UUID("6f1c2a7e-0000-4000-8000-000000000009")),
    ("correlationid", uuid.UUID("9a3e4c10-0000-4000-8000-000000000009")),
    ("causationid", uuid.UUID("9a3e4c10-0000-4000-8000-00000000000a")),
    ("time", datetime(2026, 12, 5, 10, 31, tzinfo=UTC)),
    ("source", "/services/elsewhere"),
    ("schemaversion", 2),
    ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
])
def test_changing_any_attribute_after_signing_breaks_the_signature(field, value):
    signed = EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), REFERRALS)
    tampered = wire(signed).model_copy(update={field: value})
    refused = refusal(tampered)
    assert refused.kind == BAD_SIGNATURE
    assert "Eve" not in str(refused)  # the reason never quotes the event's content


def test_an_envelope_signed_with_a_key_that_is_not_the_owners_is_refused():
    # Claims to be intake, signed with a key nobody listed (a forger's own).
    forger = EnvelopeSigner("intake", Ed25519PrivateKey.generate()).sign(envelope(), REFERRALS)
    assert refusal(wire(forger)).kind == BAD_SIGNATURE
    # Claims to be intake, signed with triage's real key: still not intake's signature.
    borrowed = EnvelopeSigner("intake", KEYS["triage"]).sign(envelope(), REFERRALS)
    assert refusal(wire(borrowed)).kind == BAD_SIGNATURE


def test_another_service_cannot_publish_on_a_topic_it_does_not_own():
    as_triage = EnvelopeSigner("triage", KEYS["triage"]).sign(envelope(), REFERRALS)
    refused = refusal(wire(as_triage))
    assert refused.kind == WRONG_SIGNER
    assert str(refused) == "forged event refused (wrong signer): signed by triage, but intake.referrals accepts only intake"
    # A signer name that is not one of ours is not echoed: it is the sender's own text.
    odd = EnvelopeSigner("Ann Smith 01/02/1950", Ed25519PrivateKey.generate()).sign(envelope(), REFERRALS)
    assert "Ann" not in str(refusal(wire(odd)))


@pytest.mark.parametrize("signed_for, replayed_on, owner", [
    (REFERRALS, TRIAGE_DECISIONS, "intake"),  # another owner's topic: wrong signer
    (CASES, OFFERS, "caseload"),  # the same owner's other topic: the signature names the topic
])
def test_a_valid_envelope_replayed_onto_another_topic_is_refused(signed_for, replayed_on, owner):
    signed = wire(EnvelopeSigner(owner, KEYS[owner]).sign(envelope(), signed_for))
    verifier().verify(signed, signed_for)
    with pytest.raises(ForgedEnvelope) as refused:
        verifier().verify(signed, replayed_on)
    assert refused.value.kind in (WRONG_SIGNER, BAD_SIGNATURE)
    if owner == "caseload":
        assert refused.value.kind == BAD_SIGNATURE


def test_a_signature_that_is_not_base64_is_a_bad_signature_not_a_crash():
    signed = EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), REFERRALS)
    assert refusal(signed.model_copy(update={"signature": "!!not base64!!"})).kind == BAD_SIGNATURE
    assert refusal(signed.model_copy(update={"signature": "AAAA"})).kind == BAD_SIGNATURE


def test_partners_ingress_topic_has_no_owner_so_no_envelope_on_it_is_trusted():
    """Partners' submissions are authenticated by API key per record, not by our signatures."""
    signed = EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), PARTNER_SUBMISSIONS)
    with pytest.raises(ForgedEnvelope):
        verifier().verify(signed, PARTNER_SUBMISSIONS)


def test_every_referral_status_topic_belongs_to_intake():
    topic = "intake.referral-status.some-gp"
    verifier().verify(wire(EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), topic)), topic)
    assert refusal(wire(EnvelopeSigner("caseload", KEYS["caseload"]).sign(envelope(), topic)), topic).kind == WRONG_SIGNER


def test_a_rotated_key_and_its_successor_are_both_accepted_while_both_are_listed():
    new_intake = Ed25519PrivateKey.generate()
    both = EnvelopeVerifier(parse_verify_keys(f"{VERIFY_KEYS},intake={public_text(new_intake)}"))
    for key in (KEYS["intake"], new_intake):
        both.verify(wire(EnvelopeSigner("intake", key).sign(envelope(), REFERRALS)), REFERRALS)
    # Once the old key is removed from the list, what it signs is refused.
    only_new = ",".join(f"{n}={public_text(new_intake if n == 'intake' else k)}" for n, k in KEYS.items())
    with pytest.raises(ForgedEnvelope):
        EnvelopeVerifier(parse_verify_keys(only_new)).verify(
            wire(EnvelopeSigner("intake", KEYS["intake"]).sign(envelope(), REFERRALS)), REFERRALS)


# --- keys in settings: missing, placeholder, malformed or mismatched keys refuse the start ----------------


def settings(**overrides) -> PlatformSettings:
    env = {"DATABASE_URL": "postgresql://u:5f9c1e2a7b3d8e0f4a6c@db/x", "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
           "AUTH_SECRET": "a8f3c9e1b7d24f6a0c5e9b3d7f1a2c4e6b8d0f2a", "EVENT_SIGNING_KEY": private_text(KEYS["intake"]),
           "EVENT_VERIFY_KEYS": VERIFY_KEYS, "DATA_ENCRYPTION_KEY": "q1Jr5Hc2bq0H0Tb8-yqgT3o4Mzc9pE7N2kVwYxZaB1c"}
    return PlatformSettings(**{k: v for k, v in (env | overrides).items() if v is not None})


def refused_setting(**overrides) -> str:
    with pytest.raises(ValidationError) as refused:
        settings(**overrides)
    return str(refused.value)


def test_real_keys_make_valid_settings_and_pass_the_start_check():
    s = settings()
    check_service_keys("intake", load_private_key(s.event_signing_key), parse_verify_keys(s.event_verify_keys))
    # The private key is never shown with the settings.
    assert private_text(KEYS["intake"]) not in repr(s)


@pytest.mark.parametrize("name", ["EVENT_SIGNING_KEY", "EVENT_VERIFY_KEYS"])
def test_a_missing_key_refuses_the_start(name):
    assert name in refused_setting(**{name: None})


def test_placeholder_keys_refuse_the_start():
    assert "EVENT_SIGNING_KEY is a placeholder" in refused_setting(EVENT_SIGNING_KEY="CHANGE_ME_TO_INTAKE_EVENT_SIGNING_KEY")
    assert "EVENT_VERIFY_KEYS is a placeholder" in refused_setting(
        EVENT_VERIFY_KEYS="intake=CHANGE_ME,triage=CHANGE_ME,caseload=CHANGE_ME,outcomes=CHANGE_ME")
    assert "EVENT_SIGNING_KEY is a placeholder" in refused_setting(EVENT_SIGNING_KEY="<intake private key>")


def test_malformed_keys_refuse_the_start_without_quoting_them():
    short = b64(b"k" * 16)
    message = refused_setting(EVENT_SIGNING_KEY=short)
    assert "EVENT_SIGNING_KEY must be the 32 bytes" in message and short not in message
    assert "not base64" in refused_setting(EVENT_VERIFY_KEYS="intake=@@@@")
    assert "service=key pairs" in refused_setting(EVENT_VERIFY_KEYS="just-a-key")


def test_one_key_for_two_services_refuses_the_start():
    shared = public_text(KEYS["intake"])
    assert "the same key" in refused_setting(EVENT_VERIFY_KEYS=f"intake={shared},triage={shared}")


def test_the_start_check_refuses_another_services_key_or_a_missing_producer():
    keys = parse_verify_keys(VERIFY_KEYS)
    with pytest.raises(ValueError, match="not the key EVENT_VERIFY_KEYS lists for intake"):
        check_service_keys("intake", KEYS["triage"], keys)
    without_caseload = {n: k for n, k in keys.items() if n != "caseload"}
    with pytest.raises(ValueError, match="no public key for caseload"):
        check_service_keys("intake", KEYS["intake"], without_caseload)


def test_pem_keys_are_accepted_too():
    pem = KEYS["intake"].private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public_pem = KEYS["intake"].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    signed = EnvelopeSigner("intake", load_private_key(pem)).sign(envelope(), REFERRALS)
    EnvelopeVerifier(parse_verify_keys(json.dumps({"intake": public_pem}))).verify(wire(signed), REFERRALS)


# --- keys for the embedded system (`referrals up`) ---------------------------------------------------------


def test_referrals_up_makes_each_service_a_private_key_once_and_gives_it_only_its_own(tmp_path):
    from referrals.cli import _event_signing_keys
    from referrals.launcher import SERVICES as LAUNCHED, event_key_env

    first = _event_signing_keys(tmp_path)
    assert _event_signing_keys(tmp_path) == first  # kept: a restart verifies what was published before it
    assert set(first) == set(LAUNCHED) and len(set(first.values())) == len(LAUNCHED)
    assert all((tmp_path / "event_keys" / f"{name}.key").stat().st_mode & 0o077 == 0 for name in LAUNCHED)
    env = event_key_env(first)
    for name in LAUNCHED:
        assert env[name]["EVENT_SIGNING_KEY"] == first[name]
        keys = parse_verify_keys(env[name]["EVENT_VERIFY_KEYS"])
        check_service_keys(name, load_private_key(first[name]), keys)  # its own key is the one listed for it
        # Cryptography's own check that the listed key is the public half of the service's key.
        own = load_private_key(first[name])
        [listed] = keys[name]
        listed.verify(own.sign(b"probe"), b"probe")
