"""OpenID Connect verification against a real local issuer over HTTP (tests/support/oidc_issuer.py)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import ValidationError

from shared.platform.oidc import OidcIdentity, OidcSettings, OidcTokenRefused, OidcVerifier
from tests.support.oidc_issuer import DISCOVERY_PATH, JWKS_PATH, LocalOidcIssuer

WORKER = uuid.UUID("6f1d2c3b-4a59-4e8f-9a7b-0c1d2e3f4a5b")


class Clock:
    """Seconds since the epoch, moved on by the test: cache expiry without waiting for it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def issuer():
    with LocalOidcIssuer() as running:
        yield running


@pytest.fixture
def clock():
    return Clock()


def make_settings(issuer: LocalOidcIssuer, **overrides) -> OidcSettings:
    return OidcSettings(issuer=issuer.issuer, audience=issuer.audience, **overrides)


@pytest.fixture
async def verifier(issuer, clock):
    async with OidcVerifier(make_settings(issuer), clock=clock) as made:
        yield made


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned_parts(header: dict, claims: dict) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def signed(issuer: LocalOidcIssuer, claims: dict) -> str:
    """Claims exactly as given, signed with the issuer's current key (mint would fill some in)."""
    return jwt.encode({"alg": "RS256", "kid": issuer.kid}, claims, issuer.private_key(), algorithms=["RS256"])


def _claims(issuer: LocalOidcIssuer, **extra) -> dict:
    now = int(time.time())
    return {"iss": issuer.issuer, "sub": "mallory", "aud": issuer.audience, "iat": now, "exp": now + 300,
            "roles": ["admin"], **extra}


async def refused(verifier: OidcVerifier, token: str) -> str:
    """The refusal's reason, having checked it repeats none of the token (header, claims or signature)."""
    with pytest.raises(OidcTokenRefused) as caught:
        await verifier.verify(token)
    shown = f"{caught.value!s} {caught.value!r}"
    for segment in token.split("."):
        if len(segment) >= 8:
            assert segment not in shown
    # Nor is the library's own error chained on, to be printed with a traceback.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None
    return caught.value.reason


async def test_a_valid_token_gives_the_identity_with_known_roles_and_worker_id(issuer, verifier):
    token = issuer.mint("alice", ["connector", "coordinator", "payroll-admin"], WORKER, exp_in=600,
                        email="alice@example.org", name="Alice Example")
    identity = await verifier.verify(token)
    assert isinstance(identity, OidcIdentity)
    assert identity.subject == "alice"
    assert identity.email == "alice@example.org" and identity.name == "Alice Example"
    # Another application's role at the identity provider means nothing here and is dropped.
    assert identity.roles == frozenset({"connector", "coordinator"})
    assert identity.worker_id == WORKER
    assert identity.expires_at.tzinfo is UTC
    assert abs((identity.expires_at - datetime.now(UTC)).total_seconds() - 600) < 5
    with pytest.raises(AttributeError):
        identity.roles = frozenset({"admin"})  # type: ignore[misc]


async def test_a_token_without_roles_or_worker_id_has_none(issuer, verifier):
    identity = await verifier.verify(issuer.mint("bob"))
    assert identity.roles == frozenset() and identity.worker_id is None and identity.email is None
    assert identity.email_verified is None  # the token did not say


@pytest.mark.parametrize("claim, read", [(True, True), (False, False), ("true", True), ("false", False), ("yes", None)])
async def test_the_providers_word_on_the_email_is_read(issuer, verifier, claim, read):
    identity = await verifier.verify(issuer.mint("carol", email="carol@example.org", email_verified=claim))
    assert identity.email_verified is read


async def test_keys_are_fetched_once_and_reused_within_their_ttl(issuer, verifier):
    for subject in ("a", "b", "c"):
        assert (await verifier.verify(issuer.mint(subject, ["auditor"]))).subject == subject
    assert issuer.requests[DISCOVERY_PATH] == 1 and issuer.requests[JWKS_PATH] == 1


async def test_an_expired_token_is_refused_beyond_the_leeway_only(issuer, verifier):
    assert await refused(verifier, issuer.mint("alice", ["admin"], exp_in=-120)) == "expired"
    # Within the 30 s allowed for clock skew it is still accepted.
    assert (await verifier.verify(issuer.mint("alice", ["admin"], exp_in=-5))).subject == "alice"


async def test_a_token_from_another_issuer_is_refused(issuer, verifier):
    assert await refused(verifier, issuer.mint("alice", ["admin"], iss="https://idp.example.net")) == "wrong issuer"
    # Exact comparison: a trailing slash is another issuer string.
    assert await refused(verifier, issuer.mint("alice", ["admin"], iss=issuer.issuer + "/")) == "wrong issuer"


async def test_a_token_for_another_audience_is_refused(issuer, verifier):
    assert await refused(verifier, issuer.mint("alice", ["admin"], aud="another-client")) == "wrong audience"
    # Several audiences: ours must be among them, and the token must have been issued to us (azp).
    both = [issuer.audience, "another-client"]
    assert await refused(verifier, issuer.mint("alice", ["admin"], aud=both)) == "wrong audience"
    assert await refused(verifier, issuer.mint("alice", ["admin"], aud=both, azp="another-client")) == "wrong audience"
    assert (await verifier.verify(issuer.mint("alice", ["admin"], aud=both, azp=issuer.audience))).subject == "alice"
    assert (await verifier.verify(issuer.mint("alice", ["admin"], aud=[issuer.audience]))).subject == "alice"


async def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(issuer, verifier):
    forger = RSAKey.generate_key(2048)
    token = issuer.mint("mallory", ["admin"], kid=issuer.kid, signing_key=forger)
    assert await refused(verifier, token) == "bad signature"


async def test_a_token_with_a_tampered_payload_is_refused(issuer, verifier):
    header, _, signature = issuer.mint("alice", ["volunteer"]).split(".")
    payload = _b64(json.dumps(_claims(issuer, sub="alice")).encode())
    assert await refused(verifier, f"{header}.{payload}.{signature}") == "bad signature"


async def test_an_unsigned_alg_none_token_is_refused(issuer, verifier):
    token = _unsigned_parts({"alg": "none", "typ": "JWT", "kid": issuer.kid}, _claims(issuer)) + "."
    assert await refused(verifier, token) == "algorithm not allowed"
    # No key fetch for it either: the algorithm is refused before any key is looked up.
    assert issuer.requests[JWKS_PATH] == 0


async def test_an_hs256_token_keyed_with_the_issuers_public_key_is_refused(issuer, verifier):
    # The classic confusion attack: the public key (known to all) used as an HMAC secret.
    public_pem = issuer.private_key().as_pem(private=False)
    signing_input = _unsigned_parts({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}, _claims(issuer))
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert await refused(verifier, f"{signing_input}.{_b64(signature)}") == "algorithm not allowed"


def test_settings_refuse_symmetric_and_none_algorithms(issuer):
    for algorithms in ("HS256", "RS256,HS512", "none", ""):
        with pytest.raises(ValidationError, match="OIDC_ALLOWED_ALGS"):
            make_settings(issuer, allowed_algs=algorithms)


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("OIDC_ISSUER", "https://login.example.org/realms/staff")
    monkeypatch.setenv("OIDC_AUDIENCE", "referrals")
    monkeypatch.setenv("OIDC_ALLOWED_ALGS", "RS256, PS256")
    monkeypatch.setenv("OIDC_ROLES_CLAIM", "realm_access.roles")
    settings = OidcSettings()
    assert settings.issuer == "https://login.example.org/realms/staff" and settings.audience == "referrals"
    assert settings.allowed_algs == ("RS256", "PS256") and settings.roles_claim == "realm_access.roles"
    assert settings.worker_id_claim == "worker_id" and settings.jwks_ttl_s == 3600.0
    # Keys over plain HTTP could be swapped in transit: only a loopback issuer may use it.
    monkeypatch.setenv("OIDC_ISSUER", "http://login.example.org")
    with pytest.raises(ValidationError, match="https"):
        OidcSettings()


async def test_a_key_published_after_rotation_is_fetched_once_on_its_unknown_kid(issuer, clock):
    async with OidcVerifier(make_settings(issuer, jwks_min_refresh_s=0), clock=clock) as verifier:
        old_kid = issuer.kid
        assert (await verifier.verify(issuer.mint("alice", ["manager"]))).roles == {"manager"}
        new_kid = issuer.rotate()
        assert new_kid != old_kid and issuer.published_kids == [old_kid, new_kid]
        assert (await verifier.verify(issuer.mint("alice", ["manager"], kid=new_kid))).subject == "alice"
        assert issuer.requests[JWKS_PATH] == 2
        # Both keys are now cached: neither token fetches again, and discovery was read only once.
        await verifier.verify(issuer.mint("bob", kid=old_kid))
        await verifier.verify(issuer.mint("bob", kid=new_kid))
        assert issuer.requests[JWKS_PATH] == 2 and issuer.requests[DISCOVERY_PATH] == 1


async def test_unknown_kids_refetch_the_keys_at_most_once_per_refresh_interval(issuer, verifier, clock):
    await verifier.verify(issuer.mint("alice"))
    assert issuer.requests[JWKS_PATH] == 1
    stranger = RSAKey.generate_key(2048)
    for attempt in range(5):
        token = issuer.mint("mallory", ["admin"], kid=f"made-up-{attempt}", signing_key=stranger)
        assert await refused(verifier, token) == "unknown signing key"
    # Within the 30 s interval since the last fetch, forged kids do not reach the identity provider.
    assert issuer.requests[JWKS_PATH] == 1
    new_kid = issuer.rotate()
    clock.advance(31)
    assert (await verifier.verify(issuer.mint("alice", kid=new_kid))).subject == "alice"
    assert issuer.requests[JWKS_PATH] == 2


async def test_keys_are_fetched_again_when_their_ttl_runs_out_and_a_retired_key_stops_working(issuer, clock):
    async with OidcVerifier(make_settings(issuer, jwks_ttl_s=60, jwks_min_refresh_s=3600), clock=clock) as verifier:
        old_kid = issuer.kid
        old_token = issuer.mint("alice", ["admin"], exp_in=600)
        await verifier.verify(old_token)
        issuer.rotate()
        issuer.retire(old_kid)
        assert (await verifier.verify(old_token)).subject == "alice"  # still cached
        clock.advance(61)
        assert await refused(verifier, old_token) == "unknown signing key"
        assert issuer.requests[JWKS_PATH] == 2 and issuer.requests[DISCOVERY_PATH] == 2


async def test_a_discovery_document_naming_another_issuer_is_refused(issuer, verifier):
    issuer.discovery_issuer = "https://idp.example.net"
    assert await refused(verifier, issuer.mint("alice", ["admin"])) == "discovery issuer mismatch"
    # Its jwks_uri was never followed.
    assert issuer.requests[DISCOVERY_PATH] == 1 and issuer.requests[JWKS_PATH] == 0


async def test_a_discovery_document_larger_than_the_limit_is_not_read(issuer, clock):
    async with OidcVerifier(make_settings(issuer, max_document_bytes=64), clock=clock) as verifier:
        assert await refused(verifier, issuer.mint("alice")) == "issuer keys unavailable"
        assert issuer.requests[JWKS_PATH] == 0


async def test_an_unreachable_issuer_refuses_tokens(clock):
    with LocalOidcIssuer() as gone:
        token = gone.mint("alice", ["admin"])
        settings = make_settings(gone, http_timeout_s=2)
    # The server is stopped and its port closed: the connection is refused, not hung.
    async with OidcVerifier(settings, clock=clock) as verifier:
        assert await refused(verifier, token) == "issuer keys unavailable"


async def test_claims_the_verifier_requires_or_bounds(issuer, verifier):
    assert await refused(verifier, issuer.mint("", ["admin"])) == "invalid claim"
    assert await refused(verifier, issuer.mint("alice", ["admin"], nbf=int(time.time()) + 600)) == "not yet valid"
    assert await refused(verifier, issuer.mint("alice", ["admin"], iat_offset=600)) == "issued in the future"
    # Longer-lived than a staff token may be (12 h by default), however it was signed.
    assert await refused(verifier, issuer.mint("alice", ["admin"], exp_in=13 * 3600)) == "lifetime too long"
    assert await refused(verifier, issuer.mint("alice", ["admin"], "not-a-uuid")) == "invalid worker id claim"
    assert await refused(verifier, signed(issuer, _claims(issuer, roles={"admin": True}))) == "invalid roles claim"
    assert await refused(verifier, "not.a.jwt") == "malformed token"
    assert await refused(verifier, "x" * 20000) == "malformed token"


async def test_missing_subject_is_refused(issuer, verifier):
    claims = _claims(issuer)
    del claims["sub"]
    assert await refused(verifier, signed(issuer, claims)) == "missing claim"
    claims = _claims(issuer)
    del claims["iat"]
    assert await refused(verifier, signed(issuer, claims)) == "missing claim"


async def test_roles_and_worker_id_are_read_from_the_configured_claims(issuer, clock):
    settings = make_settings(issuer, roles_claim="realm_access.roles", worker_id_claim="https://example.org/wid")
    async with OidcVerifier(settings, clock=clock) as verifier:
        token = issuer.mint("alice", None, **{"realm_access": {"roles": ["coordinator", "offline_access"]},
                                              "https://example.org/wid": str(WORKER)})
        identity = await verifier.verify(token)
        assert identity.roles == {"coordinator"} and identity.worker_id == WORKER


async def test_requests_arriving_together_share_one_fetch_of_the_keys(issuer, verifier):
    tokens = [issuer.mint(f"user-{n}", ["volunteer"]) for n in range(10)]
    identities = await asyncio.gather(*(verifier.verify(token) for token in tokens))
    assert [identity.subject for identity in identities] == [f"user-{n}" for n in range(10)]
    assert issuer.requests[DISCOVERY_PATH] == 1 and issuer.requests[JWKS_PATH] == 1
