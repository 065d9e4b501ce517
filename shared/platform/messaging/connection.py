"""How every Kafka client of a service connects: where the brokers are, and how it proves who it is.

Development and tests talk PLAINTEXT to the embedded broker. Production brokers take TLS
(`SSL`), SASL over TLS (`SASL_SSL`: SCRAM-SHA-256/512 with a username and password, or OAUTHBEARER
with tokens from an OAuth 2.0 client-credentials grant), and so must every client we open: the
producer, the relay's epoch reader, topic admin, the lag probes and FastStream's subscribers. One
`KafkaConnection`, built from settings once, gives each of them the same options, so no client can
be left talking plaintext to a broker that requires more. deploy/README.md documents the settings.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from aiokafka.abc import AbstractTokenProvider
from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLOAuthBearer, SASLScram256, SASLScram512

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]


@dataclass(frozen=True)
class OAuthClientCredentials:
    """Where OAUTHBEARER tokens come from: the identity provider's token endpoint and our client there."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None


class ClientCredentialsTokens(AbstractTokenProvider):
    """OAUTHBEARER tokens for aiokafka by the client-credentials grant (RFC 6749 §4.4), kept until near expiry.

    Authlib's OAuth client would add a session object per connection for one POST; the grant is a single
    form post, so httpx does it and the cache is ours."""

    # Renew this long before the token's stated expiry, so a connection never presents one that lapses in flight.
    RENEW_BEFORE_S = 60.0

    def __init__(self, credentials: OAuthClientCredentials, timeout_s: float = 10.0) -> None:
        self._credentials = credentials
        self._timeout_s = timeout_s
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:  # several connections open at once share one request
            if self._token is None or time.monotonic() >= self._expires_at - self.RENEW_BEFORE_S:
                self._token, lifetime = await self._fetch()
                self._expires_at = time.monotonic() + lifetime
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        c = self._credentials
        form = {"grant_type": "client_credentials", **({"scope": c.scope} if c.scope else {})}
        async with httpx.AsyncClient(timeout=self._timeout_s) as client:
            # Client authentication by HTTP Basic, which RFC 6749 §2.3.1 says every server must support.
            response = await client.post(c.token_url, data=form, auth=(c.client_id, c.client_secret))
        if response.status_code != 200:
            # The body may echo the request; the status is enough to act on, and carries no secret.
            raise RuntimeError(f"the Kafka token endpoint refused the client: HTTP {response.status_code}")
        body = response.json()
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise RuntimeError("the Kafka token endpoint answered without an access_token")
        lifetime = body.get("expires_in")
        return token, float(lifetime) if isinstance(lifetime, (int, float)) and lifetime > 0 else 300.0


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None  # None with TLS: the system's trusted authorities
    ssl_certfile: str | None = None  # a client certificate, where the broker asks for one (mutual TLS)
    ssl_keyfile: str | None = None
    oauth: OAuthClientCredentials | None = None

    def __post_init__(self) -> None:
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and self.sasl_mechanism is None:
            raise ValueError(f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_SASL_MECHANISM")
        if not sasl and self.sasl_mechanism is not None:
            raise ValueError("KAFKA_SASL_MECHANISM needs KAFKA_SECURITY_PROTOCOL SASL_SSL or SASL_PLAINTEXT")
        if self.sasl_mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512") and not (self.sasl_username and self.sasl_password):
            raise ValueError(f"{self.sasl_mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
        if self.sasl_mechanism == "OAUTHBEARER" and self.oauth is None:
            raise ValueError("OAUTHBEARER needs KAFKA_OAUTH_TOKEN_URL, KAFKA_OAUTH_CLIENT_ID and KAFKA_OAUTH_CLIENT_SECRET")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise ValueError("a client certificate needs both KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE")

    @classmethod
    def plaintext(cls, bootstrap_servers: str) -> KafkaConnection:
        return cls(bootstrap_servers)

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.uses_tls:
            return None
        # Verifies the broker's certificate and host name; files are read now, so a missing one fails at start.
        return create_ssl_context(cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers,
                                   "security_protocol": self.security_protocol}
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        if self.sasl_mechanism is not None:
            options["sasl_mechanism"] = self.sasl_mechanism
            if self.sasl_mechanism == "OAUTHBEARER":
                options["sasl_oauth_token_provider"] = self._tokens()
            else:
                options["sasl_plain_username"] = self.sasl_username
                options["sasl_plain_password"] = self.sasl_password
        return options

    def broker_options(self) -> dict[str, Any]:
        """Keyword arguments for FastStream's KafkaBroker, which takes security as an object of its own."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers}
        tls = self.ssl_context()
        if self.sasl_mechanism == "SCRAM-SHA-256":
            options["security"] = SASLScram256(self.sasl_username, self.sasl_password, ssl_context=tls,
                                               use_ssl=self.uses_tls)
        elif self.sasl_mechanism == "SCRAM-SHA-512":
            options["security"] = SASLScram512(self.sasl_username, self.sasl_password, ssl_context=tls,
                                               use_ssl=self.uses_tls)
        elif self.sasl_mechanism == "OAUTHBEARER":
            options["security"] = SASLOAuthBearer(ssl_context=tls, use_ssl=self.uses_tls)
            options["sasl_oauth_token_provider"] = self._tokens()
        elif self.uses_tls:
            options["security"] = BaseSecurity(ssl_context=tls, use_ssl=True)
        return options

    def _tokens(self) -> ClientCredentialsTokens:
        assert self.oauth is not None  # checked in __post_init__
        return _token_providers.setdefault(self.oauth, ClientCredentialsTokens(self.oauth))


# One token cache per set of client credentials in the process: every client of a service shares its token.
_token_providers: dict[OAuthClientCredentials, ClientCredentialsTokens] = {}


def as_connection(kafka: KafkaConnection | str) -> KafkaConnection:
    """A bare bootstrap string is a plaintext connection, as the embedded broker and the tests use."""
    return kafka if isinstance(kafka, KafkaConnection) else KafkaConnection.plaintext(kafka)
