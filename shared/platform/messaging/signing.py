"""Event provenance: each service signs the envelopes it publishes; consumers verify them.

Anyone who can reach the broker can write to a topic, so a record's presence there says
nothing about who wrote it. Each service holds its own Ed25519 private key; every
service holds the public keys of all producers. An envelope read from a topic is trusted
only if the service that owns the topic (shared.schemas.topics.topic_owner) signed it,
and the signature covers the topic and every attribute of the envelope, data included:
a record written straight to the broker, altered on the way, signed by another service
or replayed onto another topic is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.schemas.envelope import Envelope
from shared.schemas.topics import PRODUCERS, topic_owner

# Prefixed to what is signed, so a signature made here can never pass for one over another kind
# of message signed with the same key (and a future change of canonical form gets a new tag).
SIGNING_CONTEXT = b"community-connector-referrals/event-envelope/v1\n"

# ForgedEnvelope.kind: what was wrong, named in the dead letter's reason.
UNSIGNED = "unsigned"
WRONG_SIGNER = "wrong signer"
BAD_SIGNATURE = "bad signature"
NO_OWNER = "no owning service"


class ForgedEnvelope(Exception):
    """The envelope is unsigned, signed by a service that does not own the topic, or its signature
    does not verify. The message names services, topics and what was wrong, never anything the
    sender wrote (the envelope's data and attributes may hold personal data)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"forged event refused ({kind}): {message}")
        self.kind = kind


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    text = text.strip().rstrip("=")
    # Accept both base64 alphabets, padded or not (keys are pasted from many tools), but nothing else:
    # the lenient default would skip stray characters and read a mangled key as some other key.
    return base64.b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4),
                            altchars=b"-_", validate=True)


def canonical_bytes(envelope: Envelope, topic: str) -> bytes:
    """What is signed: the topic's base name (no deployment prefix) and every attribute of the
    envelope except the signature itself (the signer included), as JSON with sorted keys and no
    whitespace, after the signing context.

    It is taken from the parsed envelope, not the record's bytes, so what is verified is exactly
    what handlers act on, and spelling differences the model normalises (a `+00:00` for a `Z`,
    upper-case UUIDs) cannot make a valid envelope fail. Envelope forbids extra attributes, so
    nothing can ride along unsigned.
    """
    attributes = envelope.model_dump(mode="json", exclude={"signature"})
    body = json.dumps({"topic": topic, "envelope": attributes}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True)
    return SIGNING_CONTEXT + body.encode()


# --- keys -------------------------------------------------------------------------------------------


def generate_private_key() -> str:
    """A new signing key, as base64url of its 32 raw bytes (the form EVENT_SIGNING_KEY takes)."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _b64encode(raw)


def load_private_key(text: str) -> Ed25519PrivateKey:
    """A PKCS#8 PEM Ed25519 key, or base64 of its 32 raw bytes. Errors never quote the key."""
    text = text.strip()
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError("EVENT_SIGNING_KEY is not a readable unencrypted PEM key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("EVENT_SIGNING_KEY is not an Ed25519 key")
        return key
    try:
        raw = _b64decode(text)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("EVENT_SIGNING_KEY is neither PEM nor base64") from exc
    if len(raw) != 32:
        raise ValueError("EVENT_SIGNING_KEY must be the 32 bytes of an Ed25519 key, base64-encoded")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(private_key: Ed25519PrivateKey | str) -> str:
    """The public half, as base64url of its 32 raw bytes (the form EVENT_VERIFY_KEYS lists)."""
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    return _public_text(key.public_key())


def _public_text(key: Ed25519PublicKey) -> str:
    return _b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _load_public_key(service: str, text: str) -> Ed25519PublicKey:
    text = text.strip()
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError) as exc:
            raise ValueError(f"EVENT_VERIFY_KEYS: the key of {service} is not a readable PEM key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"EVENT_VERIFY_KEYS: the key of {service} is not an Ed25519 key")
        return key
    try:
        raw = _b64decode(text)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"EVENT_VERIFY_KEYS: the key of {service} is not base64") from exc
    if len(raw) != 32:
        raise ValueError(f"EVENT_VERIFY_KEYS: the key of {service} must be 32 bytes, base64-encoded")
    return Ed25519PublicKey.from_public_bytes(raw)


def parse_verify_keys(text: str) -> dict[str, tuple[Ed25519PublicKey, ...]]:
    """`intake=<b64>,triage=<b64>,...` (or a JSON object of service: key or [keys]): each producer's
    public keys. A service named twice has two keys, both accepted: that is how a key is rotated."""
    text = text.strip()
    pairs: list[tuple[str, str]] = []
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise ValueError("EVENT_VERIFY_KEYS is not valid JSON") from exc
        if not isinstance(loaded, dict):
            raise ValueError("EVENT_VERIFY_KEYS must be a JSON object of service: key")
        for service, keys in loaded.items():
            for key in keys if isinstance(keys, list) else [keys]:
                pairs.append((str(service), str(key)))
    else:
        for item in filter(None, (part.strip() for part in text.split(","))):
            service, sep, key = item.partition("=")
            if not sep or not service.strip() or not key.strip():
                raise ValueError("EVENT_VERIFY_KEYS must be service=key pairs separated by commas")
            pairs.append((service.strip(), key))
    if not pairs:
        raise ValueError("EVENT_VERIFY_KEYS names no service")
    keys: dict[str, tuple[Ed25519PublicKey, ...]] = {}
    owner_of: dict[str, str] = {}
    for service, text_key in pairs:
        key = _load_public_key(service, text_key)
        other = owner_of.setdefault(_public_text(key), service)
        if other != service:
            # One key for two services would let either sign for the other's topics.
            raise ValueError(f"EVENT_VERIFY_KEYS gives {other} and {service} the same key: each needs its own")
        keys[service] = (*keys.get(service, ()), key)
    return keys


def format_verify_keys(public_keys: Mapping[str, str | Iterable[str]]) -> str:
    """The EVENT_VERIFY_KEYS value for the given services' base64 public keys (one or several each)."""
    return ",".join(
        f"{service}={key}"
        for service, keys in sorted(public_keys.items())
        for key in ([keys] if isinstance(keys, str) else keys)
    )


def check_service_keys(service: str, signing_key: Ed25519PrivateKey,
                       verify_keys: Mapping[str, tuple[Ed25519PublicKey, ...]],
                       producers: Iterable[str] = PRODUCERS) -> None:
    """Refuse a service's start on keys that cannot work: its own key not listed as its own (the
    others would dead-letter everything it publishes), or a producer with no public key (it would
    dead-letter everything that producer publishes)."""
    missing = sorted(set(producers) - set(verify_keys))
    if missing:
        raise ValueError(f"EVENT_VERIFY_KEYS has no public key for {', '.join(missing)}")
    own = _public_text(signing_key.public_key())
    if service in PRODUCERS and own not in {_public_text(k) for k in verify_keys.get(service, ())}:
        raise ValueError(f"EVENT_SIGNING_KEY is not the key EVENT_VERIFY_KEYS lists for {service}")


# --- signing and verifying ----------------------------------------------------------------------------


class EnvelopeSigner:
    """Signs as one service: the signer attribute is its name, the signature its key's."""

    def __init__(self, service: str, private_key: Ed25519PrivateKey | str) -> None:
        self.service = service
        self._key = load_private_key(private_key) if isinstance(private_key, str) else private_key

    def sign(self, envelope: Envelope, topic: str) -> Envelope:
        """`topic` is the base name (no deployment prefix) the envelope is published on."""
        unsigned = envelope.model_copy(update={"signer": self.service, "signature": None})
        signature = _b64encode(self._key.sign(canonical_bytes(unsigned, topic)))
        return unsigned.model_copy(update={"signature": signature})


class EnvelopeVerifier:
    """Checks that an envelope was signed by the owner of the topic it was read from."""

    def __init__(self, public_keys: Mapping[str, Iterable[Ed25519PublicKey]]) -> None:
        self._keys = {service: tuple(keys) for service, keys in public_keys.items()}

    def verify(self, envelope: Envelope, topic: str) -> None:
        """`topic` is the base name (no deployment prefix). Raises ForgedEnvelope."""
        owner = topic_owner(topic)
        if owner is None:
            raise ForgedEnvelope(NO_OWNER, f"no service publishes {topic}, so nothing on it can be trusted")
        if envelope.signer is None or envelope.signature is None:
            raise ForgedEnvelope(UNSIGNED, f"{topic} accepts only envelopes signed by {owner}")
        if envelope.signer != owner:
            # The signer attribute is the sender's own text: named only if it is one of ours.
            who = envelope.signer if envelope.signer in self._keys else "an unknown signer"
            raise ForgedEnvelope(WRONG_SIGNER, f"signed by {who}, but {topic} accepts only {owner}")
        try:
            signature = _b64decode(envelope.signature)
        except (binascii.Error, ValueError):
            signature = b""
        message = canonical_bytes(envelope, topic)
        for key in self._keys.get(owner, ()):
            try:
                key.verify(signature, message)
                return
            except InvalidSignature:
                continue
        raise ForgedEnvelope(BAD_SIGNATURE, f"the signature does not verify with {owner}'s key for {topic}")
