"""Kafka connection settings: what each client is given, what is refused at start, and OAUTHBEARER tokens
fetched from a real (local) token endpoint by the client-credentials grant."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from faststream.security import BaseSecurity, SASLOAuthBearer, SASLScram256, SASLScram512
from pydantic import ValidationError

from shared.platform.messaging.connection import ClientCredentialsTokens, OAuthClientCredentials
from tests.support.event_keys import EVENT_KEYS
from shared.platform.settings import PlatformSettings

SASL_PASSWORD = "kafka-Pa55-" + "q7Zr9xW2mK4vB8nT"


def settings(**kafka: str) -> PlatformSettings:
    return PlatformSettings(DATABASE_URL="postgresql://u@db/referrals", KAFKA_BOOTSTRAP_SERVERS="kafka-1:9093",
                            AUTH_SECRET=secrets.token_hex(32), **EVENT_KEYS, **kafka)


def test_the_default_is_plaintext_for_the_embedded_broker():
    kafka = settings().kafka
    assert kafka.client_options() == {"bootstrap_servers": "kafka-1:9093", "security_protocol": "PLAINTEXT"}
    assert kafka.broker_options() == {"bootstrap_servers": "kafka-1:9093"}


@pytest.mark.parametrize(("mechanism", "security_class"), [("SCRAM-SHA-256", SASLScram256),
                                                          ("SCRAM-SHA-512", SASLScram512)])
def test_scram_over_tls_reaches_aiokafka_and_faststream(mechanism, security_class):
    kafka = settings(KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_MECHANISM=mechanism,
                     KAFKA_SASL_USERNAME="svc-intake", KAFKA_SASL_PASSWORD=SASL_PASSWORD).kafka
    options = kafka.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == mechanism
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("svc-intake", SASL_PASSWORD)
    assert options["ssl_context"].verify_mode.name == "CERT_REQUIRED"
    assert options["ssl_context"].check_hostname is True
    security = kafka.broker_options()["security"]
    assert type(security) is security_class
    assert security.use_ssl is True
    assert SASL_PASSWORD not in repr(kafka)  # the settings object may be logged; its password never


def test_tls_alone_verifies_the_broker():
    kafka = settings(KAFKA_SECURITY_PROTOCOL="SSL").kafka
    assert kafka.client_options()["ssl_context"].verify_mode.name == "CERT_REQUIRED"
    assert type(kafka.broker_options()["security"]) is BaseSecurity
    assert "sasl_mechanism" not in kafka.client_options()


@pytest.mark.parametrize("incomplete", [
    {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"},
    {"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"},
    {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "svc"},
    {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "OAUTHBEARER"},
    {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CERTFILE": "/etc/kafka/client.crt"},
    {"KAFKA_SECURITY_PROTOCOL": "TLS"},
    {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "PLAIN"},
])
def test_an_incomplete_or_unknown_broker_setting_refuses_start(incomplete):
    with pytest.raises(ValidationError):
        settings(**incomplete)


def test_a_placeholder_broker_password_refuses_start_without_printing_it():
    with pytest.raises(ValidationError) as refused:
        settings(KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
                 KAFKA_SASL_USERNAME="svc", KAFKA_SASL_PASSWORD="CHANGE_ME_kafka")
    assert "placeholder" in str(refused.value)
    assert "CHANGE_ME_kafka" not in str(refused.value)


def test_a_refused_setting_does_not_print_the_secrets_beside_it():
    with pytest.raises(ValidationError) as refused:
        settings(KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
                 KAFKA_SASL_PASSWORD=SASL_PASSWORD)  # no username: refused
    assert SASL_PASSWORD not in str(refused.value)


class TokenEndpoint:
    """A local OAuth 2.0 token endpoint that grants client_credentials to one client."""

    def __init__(self, client_id: str, client_secret: str, expires_in: int) -> None:
        self.requests: list[dict[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
                endpoint.requests.append(form)
                if self.headers.get("Authorization") != f"Basic {basic}" or form.get("grant_type") != "client_credentials":
                    self._answer(401, {"error": "invalid_client"})
                    return
                self._answer(200, {"access_token": f"token-{len(endpoint.requests)}", "token_type": "Bearer",
                                   "expires_in": expires_in})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/token"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture
def endpoint(request):
    server = TokenEndpoint("svc-caseload", "s3cret-for-the-idp", expires_in=getattr(request, "param", 3600))
    yield server
    server.stop()


async def test_oauthbearer_fetches_a_token_by_client_credentials_and_keeps_it(endpoint):
    kafka = settings(KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_MECHANISM="OAUTHBEARER",
                     KAFKA_OAUTH_TOKEN_URL=endpoint.url, KAFKA_OAUTH_CLIENT_ID="svc-caseload",
                     KAFKA_OAUTH_CLIENT_SECRET="s3cret-for-the-idp", KAFKA_OAUTH_SCOPE="kafka").kafka
    options = kafka.client_options()
    assert options["sasl_mechanism"] == "OAUTHBEARER"
    provider = options["sasl_oauth_token_provider"]
    broker = kafka.broker_options()
    assert type(broker["security"]) is SASLOAuthBearer
    assert broker["sasl_oauth_token_provider"] is provider  # one token cache for every client of the service

    tokens = await asyncio.gather(*(provider.token() for _ in range(5)))
    assert tokens == ["token-1"] * 5
    assert endpoint.requests == [{"grant_type": "client_credentials", "scope": "kafka"}]


@pytest.mark.parametrize("endpoint", [30], indirect=True)
async def test_a_token_near_its_expiry_is_renewed(endpoint):
    provider = ClientCredentialsTokens(OAuthClientCredentials(endpoint.url, "svc-caseload", "s3cret-for-the-idp"))
    assert await provider.token() == "token-1"
    # 30 s of life is inside the renewal margin: the next connection gets a fresh token.
    assert await provider.token() == "token-2"


async def test_a_refused_client_is_an_error_that_names_no_secret(endpoint):
    provider = ClientCredentialsTokens(OAuthClientCredentials(endpoint.url, "svc-caseload", "the-wrong-secret"))
    with pytest.raises(RuntimeError) as refused:
        await provider.token()
    assert "HTTP 401" in str(refused.value)
    assert "the-wrong-secret" not in str(refused.value)
