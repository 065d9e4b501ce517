"""Settings every service reads from the environment (pydantic-settings)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.platform.messaging.connection import (KafkaConnection, OAuthClientCredentials, SaslMechanism,
                                                  SecurityProtocol)
from shared.platform.messaging.signing import load_private_key, parse_verify_keys
from shared.platform.sealing import parse_key_encryption_key


def asyncpg_url(url: str) -> str:
    """Accept the usual PostgreSQL URL spellings and return the SQLAlchemy asyncpg one."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


# What a template's or a tutorial's stand-in for a secret looks like. A service refuses to start on one,
# so a deployment copied without its secrets fails loudly instead of running on a value the world knows.
PLACEHOLDER = re.compile(r"change[-_ ]?(it|me|this)|replace[-_ ]?(it|me|this)|placeholder|your[-_ ]?(own[-_ ]?)?secret"
                         r"|<[^>]*>|^x+$|^(password|secret|referrals|postgres)$", re.IGNORECASE)
MIN_DISTINCT_SECRET_CHARACTERS = 10


def refuse_placeholder(what: str, value: str) -> str:
    if PLACEHOLDER.search(value):
        raise ValueError(f"{what} is a placeholder: set a long random value (e.g. openssl rand -hex 32)")
    return value


class PlatformSettings(BaseSettings):
    """What every service process needs: where the database and broker are, and how to behave."""

    # An error names the setting and the rule, never the value: the values include private keys and passwords.
    model_config = SettingsConfigDict(env_file=None, extra="ignore", hide_input_in_errors=True)

    database_url: str = Field(validation_alias="DATABASE_URL")
    kafka_bootstrap_servers: str = Field(validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    # How Kafka clients connect and authenticate: PLAINTEXT for the embedded broker; production brokers
    # take TLS and SASL (SCRAM or OAUTHBEARER). deploy/README.md says which to set for which broker.
    kafka_security_protocol: SecurityProtocol = Field(default="PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL")
    kafka_sasl_mechanism: SaslMechanism | None = Field(default=None, validation_alias="KAFKA_SASL_MECHANISM")
    kafka_sasl_username: str | None = Field(default=None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: str | None = Field(default=None, validation_alias="KAFKA_SASL_PASSWORD", repr=False)
    kafka_ssl_cafile: str | None = Field(default=None, validation_alias="KAFKA_SSL_CAFILE")
    kafka_ssl_certfile: str | None = Field(default=None, validation_alias="KAFKA_SSL_CERTFILE")
    kafka_ssl_keyfile: str | None = Field(default=None, validation_alias="KAFKA_SSL_KEYFILE")
    kafka_oauth_token_url: str | None = Field(default=None, validation_alias="KAFKA_OAUTH_TOKEN_URL")
    kafka_oauth_client_id: str | None = Field(default=None, validation_alias="KAFKA_OAUTH_CLIENT_ID")
    kafka_oauth_client_secret: str | None = Field(default=None, validation_alias="KAFKA_OAUTH_CLIENT_SECRET",
                                                  repr=False)
    kafka_oauth_scope: str | None = Field(default=None, validation_alias="KAFKA_OAUTH_SCOPE")
    # Prefix on every topic name, so test runs (and tenants sharing a cluster) never collide.
    topic_prefix: str = Field(default="", validation_alias="TOPIC_PREFIX")
    http_host: str = Field(default="127.0.0.1", validation_alias="HTTP_HOST")
    http_port: int = Field(default=8000, validation_alias="HTTP_PORT")
    # Shared secret that signs staff bearer tokens; every service verifies with it.
    auth_secret: str = Field(validation_alias="AUTH_SECRET", min_length=32)
    # A bearer token the metrics scraper (Prometheus) presents at /metrics; none: only operators' tokens.
    metrics_scrape_token: str | None = Field(default=None, validation_alias="METRICS_SCRAPE_TOKEN", min_length=32,
                                             repr=False)
    # Event provenance (shared/platform/messaging/signing.py): this service's own Ed25519 private key
    # (base64 of its 32 raw bytes, or PKCS#8 PEM) signs every envelope it publishes; EVENT_VERIFY_KEYS
    # holds every producer's public key (`intake=<b64>,triage=<b64>,...`, a service named twice while its
    # key is rotated). Both are parsed here, so a missing, placeholder or malformed key stops the start.
    event_signing_key: str = Field(validation_alias="EVENT_SIGNING_KEY", min_length=1, repr=False)
    event_verify_keys: str = Field(validation_alias="EVENT_VERIFY_KEYS", min_length=1)
    # Personal data at rest and in flight (shared/platform/sealing.py): this service's key-encryption key,
    # base64 of 32 random bytes, which wraps the per-person data keys in its own schema. Each service has
    # its own; losing it loses what it sealed, so it is backed up apart from the database.
    data_encryption_key: str = Field(validation_alias="DATA_ENCRYPTION_KEY", min_length=1, repr=False)
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # Wrong credentials (API keys, tokens): this many within the window lock the client or key out.
    auth_max_failures: int = Field(default=10, validation_alias="AUTH_MAX_FAILURES", ge=1)
    auth_failure_window_s: float = Field(default=60.0, validation_alias="AUTH_FAILURE_WINDOW_S", gt=0)
    auth_lockout_s: float = Field(default=300.0, validation_alias="AUTH_LOCKOUT_S", gt=0)

    # Back-pressure on submissions (every intake channel a person or partner sends to): a rate per submitter
    # (a partner, or a member of staff taking a phone referral or logging outreach) and one for everyone, in
    # bursts, answered 429 with Retry-After past them; and at most this many submissions in progress at once.
    submissions_per_second_per_partner: float = Field(default=20.0, validation_alias="SUBMISSIONS_PER_SECOND_PER_PARTNER",
                                                      gt=0)
    submission_burst_per_partner: int = Field(default=60, validation_alias="SUBMISSION_BURST_PER_PARTNER", ge=1)
    submissions_per_second: float = Field(default=100.0, validation_alias="SUBMISSIONS_PER_SECOND", gt=0)
    submission_burst: int = Field(default=200, validation_alias="SUBMISSION_BURST", ge=1)
    submissions_in_flight: int = Field(default=8, validation_alias="SUBMISSIONS_IN_FLIGHT", ge=1)
    # The public self-referral form, per client address: a person sends one form in minutes, so a few a
    # minute serves a shared library computer, and a script sending thousands waits instead of spending
    # everyone's share. Behind a proxy, run uvicorn with --forwarded-allow-ips so the address is the client's.
    self_referrals_per_minute_per_address: float = Field(
        default=30.0, validation_alias="SELF_REFERRALS_PER_MINUTE_PER_ADDRESS", gt=0)
    self_referral_burst_per_address: int = Field(default=20, validation_alias="SELF_REFERRAL_BURST_PER_ADDRESS", ge=1)
    # What a consumer holds fetched but not yet handled: it fetches no more until it has handled these,
    # so a flood waits in the broker, not in memory.
    kafka_fetch_max_bytes: int = Field(default=8 * 1024 * 1024, validation_alias="KAFKA_FETCH_MAX_BYTES", ge=1024)
    kafka_max_partition_fetch_bytes: int = Field(default=1024 * 1024, validation_alias="KAFKA_MAX_PARTITION_FETCH_BYTES",
                                                 ge=1024)

    # Consumer behaviour: bounded retries with exponential backoff, then dead letter.
    consumer_max_attempts: int = Field(default=5, validation_alias="CONSUMER_MAX_ATTEMPTS", ge=1)
    consumer_backoff_initial_ms: int = Field(default=200, validation_alias="CONSUMER_BACKOFF_INITIAL_MS")
    consumer_backoff_max_ms: int = Field(default=5000, validation_alias="CONSUMER_BACKOFF_MAX_MS")
    kafka_session_timeout_ms: int = Field(default=10000, validation_alias="KAFKA_SESSION_TIMEOUT_MS")
    kafka_heartbeat_interval_ms: int = Field(default=1000, validation_alias="KAFKA_HEARTBEAT_INTERVAL_MS")
    kafka_rebalance_timeout_ms: int = Field(default=5000, validation_alias="KAFKA_REBALANCE_TIMEOUT_MS")

    # Outbox relay.
    relay_poll_interval_ms: int = Field(default=100, validation_alias="RELAY_POLL_INTERVAL_MS")
    relay_batch_size: int = Field(default=200, validation_alias="RELAY_BATCH_SIZE")
    # Published outbox rows are deleted after this many hours: long enough to refill a broker that lost its
    # memory, short enough that the outbox is no second store of what the events said.
    outbox_retention_hours: float = Field(default=168.0, validation_alias="OUTBOX_RETENTION_HOURS", gt=0)

    # Tracing: spans go to an OTLP collector and/or a JSON-lines file ("{service}" is replaced).
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    trace_file: str | None = Field(default=None, validation_alias="REFERRALS_TRACE_FILE")

    # Seconds allowed for in-flight work to finish on shutdown.
    graceful_timeout_s: float = Field(default=15.0, validation_alias="GRACEFUL_TIMEOUT_S")

    @field_validator("metrics_scrape_token")
    @classmethod
    def _a_real_scrape_token(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _random_enough("METRICS_SCRAPE_TOKEN", refuse_placeholder("METRICS_SCRAPE_TOKEN", value))

    @field_validator("kafka_sasl_password", "kafka_oauth_client_secret")
    @classmethod
    def _no_placeholder_broker_secret(cls, value: str | None) -> str | None:
        return None if value is None else refuse_placeholder("a Kafka credential", value)

    @model_validator(mode="after")
    def _kafka_connection_is_complete(self) -> PlatformSettings:
        self.kafka  # noqa: B018 - builds the connection, which refuses an incomplete set of settings at start
        return self

    @property
    def kafka(self) -> KafkaConnection:
        oauth = None
        if self.kafka_oauth_token_url and self.kafka_oauth_client_id and self.kafka_oauth_client_secret:
            oauth = OAuthClientCredentials(self.kafka_oauth_token_url, self.kafka_oauth_client_id,
                                           self.kafka_oauth_client_secret, self.kafka_oauth_scope)
        return KafkaConnection(
            self.kafka_bootstrap_servers, self.kafka_security_protocol, self.kafka_sasl_mechanism,
            self.kafka_sasl_username, self.kafka_sasl_password, self.kafka_ssl_cafile, self.kafka_ssl_certfile,
            self.kafka_ssl_keyfile, oauth)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        password = urlsplit(value).password
        if password:
            refuse_placeholder("the DATABASE_URL password", password)
        return asyncpg_url(value)

    @field_validator("auth_secret")
    @classmethod
    def _a_real_secret(cls, value: str) -> str:
        return _random_enough("AUTH_SECRET", refuse_placeholder("AUTH_SECRET", value))

    @field_validator("event_signing_key")
    @classmethod
    def _a_real_signing_key(cls, value: str) -> str:
        refuse_placeholder("EVENT_SIGNING_KEY", value)
        load_private_key(value)  # raises, without quoting the key, if it is not an Ed25519 key
        return value

    @field_validator("data_encryption_key")
    @classmethod
    def _a_real_data_encryption_key(cls, value: str) -> str:
        refuse_placeholder("DATA_ENCRYPTION_KEY", value)
        parse_key_encryption_key(value)  # raises, without quoting the key, if it is not 32 bytes of base64
        return value

    @field_validator("event_verify_keys")
    @classmethod
    def _real_verify_keys(cls, value: str) -> str:
        refuse_placeholder("EVENT_VERIFY_KEYS", value)
        parse_verify_keys(value)
        return value


def _random_enough(what: str, value: str) -> str:
    if len(set(value)) < MIN_DISTINCT_SECRET_CHARACTERS:
        # "aaaa…" or "1234…" is long enough but guessable; random values use many characters.
        raise ValueError(f"{what} is too simple: set a long random value (e.g. openssl rand -hex 32)")
    return value
