"""OpenID Connect tokens for production sign-in, verified against the issuer's published keys.

The issuer (the organisation's identity provider) signs ID or access tokens with a private key and
publishes the public keys (JWKS) at the `jwks_uri` of its discovery document. Verification needs no
shared secret: a service fetches the keys once, caches them, and fetches again when a token names a
key it has not seen (the issuer rotated its keys).

Every refusal is one exception, `OidcTokenRefused`, whose reason is a fixed phrase: nothing of the
token is echoed, so logs and error bodies never carry a bearer credential or its claims.

JOSE is Authlib's `joserfc` (Authlib's own `authlib.jose` is deprecated in its favour).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import ECKey, KeySet, RSAKey
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.platform.auth import STAFF_ROLES

# Asymmetric signatures only. "none" has no signature, and an HMAC ("HS*") algorithm would let anyone
# holding the issuer's *public* key (everyone) mint tokens, if a verifier used it as the secret.
PERMITTED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})
# A bearer token larger than this is refused before it is parsed: no identity provider's is anywhere near.
MAX_TOKEN_BYTES = 16 * 1024


class OidcSettings(BaseSettings):
    """Which issuer's tokens are accepted, for which client, and how its keys are fetched and cached."""

    model_config = SettingsConfigDict(env_prefix="OIDC_", env_file=None, extra="ignore")

    # Compared character for character with the token's `iss` and the discovery document's `issuer`
    # (OpenID Connect Discovery 1.0 §4.3), so it is kept as given, not normalised as a URL.
    issuer: str
    # The client id this deployment is registered under: a token for another client is refused.
    audience: str = Field(min_length=1)
    roles_claim: str = Field(default="roles", min_length=1)
    worker_id_claim: str = Field(default="worker_id", min_length=1)
    # NoDecode: "RS256,ES256" in the environment, not a JSON list.
    allowed_algs: Annotated[tuple[str, ...], NoDecode] = ("RS256", "ES256")
    jwks_ttl_s: float = Field(default=3600.0, gt=0)
    # A token naming an unknown key fetches the keys again at most this often, so a stream of forged
    # key ids cannot turn every request into a call to the identity provider.
    jwks_min_refresh_s: float = Field(default=30.0, ge=0)
    # Clock skew allowed between the issuer and this host on exp, nbf and iat.
    leeway_s: int = Field(default=30, ge=0, le=300)
    # A token claiming to live longer than this is refused, however it was signed (as staff tokens are).
    max_token_lifetime_s: int = Field(default=12 * 3600, gt=0)
    http_timeout_s: float = Field(default=5.0, gt=0)
    # Discovery and JWKS documents are a few kilobytes; a larger answer is refused rather than read.
    max_document_bytes: int = Field(default=512 * 1024, gt=0)

    @field_validator("issuer")
    @classmethod
    def _issuer_is_https(cls, value: str) -> str:
        _require_https(value, "OIDC_ISSUER")
        return value

    @field_validator("allowed_algs", mode="before")
    @classmethod
    def _split_algorithms(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_algs")
    @classmethod
    def _only_asymmetric(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("OIDC_ALLOWED_ALGS names no algorithm")
        refused = set(value) - PERMITTED_ALGORITHMS
        if refused:
            raise ValueError(f"OIDC_ALLOWED_ALGS may name only {sorted(PERMITTED_ALGORITHMS)}, not {sorted(refused)}")
        return value


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _require_https(url: str, what: str) -> None:
    """Keys fetched over plain HTTP could be swapped in transit; only this host's own issuer may use it."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return
    raise ValueError(f"{what} must be an https:// URL (http:// only on the loopback interface)")


@dataclass(frozen=True)
class OidcIdentity:
    subject: str
    email: str | None
    name: str | None
    roles: frozenset[str]  # the known staff roles among those the token carries
    worker_id: uuid.UUID | None
    expires_at: datetime
    # The provider's word on the email (OpenID Connect Core §5.1): False when it has not checked that this
    # user holds it; None when the token does not say (many organisational providers only issue their own).
    email_verified: bool | None = None


class OidcTokenRefused(Exception):
    """The token is not accepted. `reason` is a fixed phrase and never holds any of the token."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Cached:
    value: Any
    fetched_at: float


class OidcVerifier:
    """Verifies the configured issuer's tokens; one per process, shared by every request.

    Give it an `httpx.AsyncClient` to share one; otherwise it makes its own, closed by `aclose()`.
    `clock` is seconds since the epoch, used for the key cache and the token's times alike.
    """

    def __init__(self, settings: OidcSettings, *, http: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self._own_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(
            timeout=httpx.Timeout(settings.http_timeout_s),
            # The discovery document names the key URL; a redirect would let someone else's server answer.
            follow_redirects=False,
        )
        self._discovery: _Cached | None = None
        self._keys: _Cached | None = None
        self._refetch_attempted_at = 0.0
        # One fetch at a time: requests arriving together with a new key id wait for the same refresh.
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> OidcVerifier:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def verify(self, token: str) -> OidcIdentity:
        """The identity a valid token carries; `OidcTokenRefused` for any other token."""
        header = self._header(token)
        key = await self._key_for(header)
        claims = self._verified_claims(token, key)
        return self._identity(claims)

    # -- the token ------------------------------------------------------------------------------

    def _header(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES:
            raise OidcTokenRefused("malformed token")
        try:
            # Parsed only, not trusted: the header says which key to look up, then the signature is checked.
            header = jws.extract_compact(token.encode("ascii")).headers()
        except (JoseError, ValueError, TypeError, UnicodeError):
            raise OidcTokenRefused("malformed token") from None
        if header.get("alg") not in self.settings.allowed_algs:
            raise OidcTokenRefused("algorithm not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise OidcTokenRefused("malformed token")
        return header

    def _verified_claims(self, token: str, key: RSAKey | ECKey) -> dict[str, Any]:
        settings = self.settings
        try:
            decoded = jwt.decode(token, key, algorithms=list(settings.allowed_algs))
        except (BadSignatureError, UnsupportedAlgorithmError):
            raise OidcTokenRefused("bad signature") from None
        except (JoseError, ValueError, TypeError):
            raise OidcTokenRefused("malformed token") from None
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=settings.leeway_s,
            iss={"essential": True, "value": settings.issuer},
            # A list audience matches when it contains ours (joserfc's "value" on a list claim).
            aud={"essential": True, "value": settings.audience},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise OidcTokenRefused("expired") from None
        except MissingClaimError:
            raise OidcTokenRefused("missing claim") from None
        except InvalidClaimError as error:
            raise OidcTokenRefused(_CLAIM_REASONS.get(error.claim, "invalid claim")) from None
        # OpenID Connect Core §3.1.3.7: with several audiences, the party the token was issued to (azp)
        # must be us, or a token meant for another client that happens to list us would pass.
        aud = claims["aud"]
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != settings.audience:
            raise OidcTokenRefused("wrong audience")
        if claims["exp"] - claims["iat"] > settings.max_token_lifetime_s:
            raise OidcTokenRefused("lifetime too long")
        return claims

    def _identity(self, claims: dict[str, Any]) -> OidcIdentity:
        settings = self.settings
        roles = _claim(claims, settings.roles_claim)
        if roles is None:
            roles = []
        elif isinstance(roles, str):
            # Some providers put one role, or a space-separated list, in a string.
            roles = roles.split()
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise OidcTokenRefused("invalid roles claim")
        worker = _claim(claims, settings.worker_id_claim)
        worker_id: uuid.UUID | None = None
        if worker is not None:
            try:
                worker_id = uuid.UUID(worker) if isinstance(worker, str) else None
            except ValueError:
                worker_id = None
            if worker_id is None:
                raise OidcTokenRefused("invalid worker id claim")
        return OidcIdentity(
            subject=claims["sub"],
            email=_optional_string(claims.get("email")),
            name=_optional_string(claims.get("name")),
            # The identity provider may know roles of other applications: only ours mean anything here.
            roles=frozenset(roles) & STAFF_ROLES,
            worker_id=worker_id,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            email_verified=_optional_bool(claims.get("email_verified")),
        )

    # -- the issuer's keys ----------------------------------------------------------------------

    async def _key_for(self, header: dict[str, Any]) -> RSAKey | ECKey:
        keys = await self._current_keys()
        key = _pick(keys, header)
        if key is not None:
            return key
        # Not among the cached keys: the issuer may have rotated to a new one since they were fetched.
        async with self._lock:
            # Measured from the last attempt, failed or not, so an outage is not hammered by forged kids.
            last = max(self._keys.fetched_at if self._keys else 0.0, self._refetch_attempted_at)
            if self._clock() - last >= self.settings.jwks_min_refresh_s:
                self._refetch_attempted_at = self._clock()
                await self._refresh_keys()
            assert self._keys is not None
            key = _pick(self._keys.value, header)
        if key is None:
            raise OidcTokenRefused("unknown signing key")
        return key

    async def _current_keys(self) -> KeySet:
        cached = self._keys
        if cached is not None and self._clock() - cached.fetched_at < self.settings.jwks_ttl_s:
            return cached.value
        async with self._lock:
            # Another request may have refreshed them while this one waited for the lock.
            cached = self._keys
            if cached is None or self._clock() - cached.fetched_at >= self.settings.jwks_ttl_s:
                await self._refresh_keys()
            assert self._keys is not None
            return self._keys.value

    async def _refresh_keys(self) -> None:
        """Fetch the keys (and the discovery document, when its copy is stale). Called holding the lock."""
        jwks_uri = await self._jwks_uri()
        document = await self._fetch_json(jwks_uri)
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise OidcTokenRefused("issuer keys unavailable")
        usable = [entry for entry in entries if _usable_for_signatures(entry)]
        try:
            keys = KeySet.import_key_set({"keys": usable}) if usable else KeySet([])
        except (JoseError, ValueError, TypeError):
            raise OidcTokenRefused("issuer keys unavailable") from None
        self._keys = _Cached(keys, self._clock())

    async def _jwks_uri(self) -> str:
        cached = self._discovery
        if cached is not None and self._clock() - cached.fetched_at < self.settings.jwks_ttl_s:
            return cached.value
        url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await self._fetch_json(url)
        # Discovery §4.3: a document naming another issuer is not this issuer's, whoever served it.
        if document.get("issuer") != self.settings.issuer:
            raise OidcTokenRefused("discovery issuer mismatch")
        jwks_uri = document.get("jwks_uri")
        try:
            if not isinstance(jwks_uri, str):
                raise ValueError
            _require_https(jwks_uri, "jwks_uri")
        except ValueError:
            raise OidcTokenRefused("issuer keys unavailable") from None
        self._discovery = _Cached(jwks_uri, self._clock())
        return jwks_uri

    async def _fetch_json(self, url: str) -> dict[str, Any]:
        limit = self.settings.max_document_bytes
        try:
            async with self._http.stream("GET", url, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise OidcTokenRefused("issuer keys unavailable")
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise OidcTokenRefused("issuer keys unavailable")
                body = bytearray()
                # Read in pieces and stop past the limit: the length header may be missing or untrue.
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise OidcTokenRefused("issuer keys unavailable")
        except httpx.HTTPError:
            raise OidcTokenRefused("issuer keys unavailable") from None
        try:
            document = json.loads(body)
        except ValueError:
            raise OidcTokenRefused("issuer keys unavailable") from None
        if not isinstance(document, dict):
            raise OidcTokenRefused("issuer keys unavailable")
        return document


_CLAIM_REASONS = {"iss": "wrong issuer", "aud": "wrong audience", "nbf": "not yet valid",
                  "iat": "issued in the future"}
# Which kind of key each algorithm family checks with (RFC 7518 §3.1).
_KEY_TYPE_FOR_ALG_PREFIX = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


def _usable_for_signatures(entry: Any) -> bool:
    # Encryption keys and symmetric ("oct") keys are never used to check a signature.
    return (isinstance(entry, dict) and entry.get("kty") in ("RSA", "EC")
            and entry.get("use", "sig") == "sig" and isinstance(entry.get("kid"), str))


def _pick(keys: KeySet, header: dict[str, Any]) -> RSAKey | ECKey | None:
    """The key the header names, if it may check this algorithm; without a kid, the only key there is."""
    kid = header.get("kid")
    candidates = [key for key in keys if key.kid == kid] if kid is not None else list(keys)
    if len(candidates) != 1:
        return None
    key = candidates[0]
    if key.key_type != _KEY_TYPE_FOR_ALG_PREFIX.get(header["alg"][:2]):
        return None
    # A key published for one algorithm (its "alg") is not to be used with another.
    if key.alg is not None and key.alg != header["alg"]:
        return None
    return key  # type: ignore[return-value]


def _claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name, or by a dotted path into nested objects (Keycloak's "realm_access.roles").

    The whole name is tried first: namespaced claims such as "https://example.org/roles" contain dots.
    """
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _optional_bool(value: Any) -> bool | None:
    # Some providers send the boolean as a string.
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value if isinstance(value, bool) else None


def _optional_string(value: Any) -> str | None:
    return value if isinstance(value, str) else None
