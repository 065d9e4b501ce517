"""Every kind of Kafka client a service opens connects over TLS when the settings say so.

No Docker here and Tansu's own TLS listener does not start (0.6.0 refuses --cert with --key), so the
test puts a TLS-terminating proxy of its own in front of a real Tansu that advertises the proxy's
address: after bootstrapping, clients reconnect through the proxy too, so a client that spoke
plaintext anywhere would fail. The certificate is made by the test for 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import secrets
import ssl
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faststream.kafka import KafkaBroker

from referrals.embedded import EmbeddedKafka, free_port
from shared.platform.sealing import generate_key_encryption_key
from shared.platform.messaging.epoch import read_epoch, resolve_epoch
from shared.platform.messaging.kafka import ensure_topics, make_producer
from shared.platform.messaging.lag import GroupLag
from shared.platform.messaging.signing import format_verify_keys, generate_private_key, public_key_text
from shared.platform.settings import PlatformSettings
from shared.schemas.topics import Topics

pytestmark = pytest.mark.integration


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TlsProxy:
    """Terminates TLS on `port` and pipes the bytes to the broker's plaintext listener."""

    def __init__(self, port: int, upstream_port: int, cert: Path, key: Path) -> None:
        self.port, self._upstream_port = port, upstream_port
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert, key)
        self._server: asyncio.Server | None = None
        self.handshakes = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, ssl=self._context)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.handshakes += 1
        try:
            broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:
            client_writer.close()
            return

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe(client_reader, broker_writer), pipe(broker_reader, client_writer))


@pytest.fixture
async def tls_broker(tmp_path):
    cert, key = _certificate(tmp_path, "broker")
    proxy_port = free_port()
    broker = EmbeddedKafka(free_port(), log_path=tmp_path / "broker.log", advertised=f"127.0.0.1:{proxy_port}")
    broker.start()
    proxy = TlsProxy(proxy_port, broker.port, cert, key)
    await proxy.start()
    yield proxy, cert
    await proxy.stop()
    broker.stop()


def _settings(bootstrap: str, **kafka: str) -> PlatformSettings:
    key = generate_private_key()
    return PlatformSettings(DATABASE_URL="postgresql://unused/unused", KAFKA_BOOTSTRAP_SERVERS=bootstrap,
                            AUTH_SECRET=secrets.token_hex(32), EVENT_SIGNING_KEY=key,
                            EVENT_VERIFY_KEYS=format_verify_keys({"intake": public_key_text(key)}),
                            DATA_ENCRYPTION_KEY=generate_key_encryption_key(), **kafka)


async def test_every_client_a_service_opens_speaks_tls_when_set_to(tls_broker, tmp_path):
    proxy, cert = tls_broker
    kafka = _settings(f"127.0.0.1:{proxy.port}", KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(cert)).kafka
    topics = Topics(prefix=f"tls{uuid.uuid4().hex[:8]}.")
    group = "tests.tls"

    # Topic admin, the producer, the epoch reader and the lag probe: the runtime's own clients.
    created = await asyncio.wait_for(ensure_topics(kafka, topics, [group]), 60)
    assert topics.broker_epoch in created
    producer = make_producer(kafka)
    await asyncio.wait_for(producer.start(), 30)
    try:
        epoch = await resolve_epoch(kafka, topics.broker_epoch, producer)
        assert await read_epoch(kafka, topics.broker_epoch) == epoch

        # FastStream's subscribers, built from the same connection, receive what the producer sends.
        received: asyncio.Queue[bytes] = asyncio.Queue()
        broker = KafkaBroker(**kafka.broker_options(), logger=None)
        topic = topics.dead_letter(group)

        @broker.subscriber(topic, group_id=f"{topics.prefix}{group}", auto_offset_reset="earliest")
        async def handle(body: bytes) -> None:
            await received.put(body)

        await asyncio.wait_for(broker.start(), 60)
        try:
            await producer.send_and_wait(topic, b"over tls", partition=0)
            assert await asyncio.wait_for(received.get(), 60) == b"over tls"
        finally:
            await broker.stop()
        lag = GroupLag(kafka, f"{topics.prefix}{group}", topic)
        try:
            assert await asyncio.wait_for(lag.read(), 30) == {0: 0}
        finally:
            await lag.stop()
    finally:
        await producer.stop()
    assert proxy.handshakes >= 5  # admin, producer, epoch reader, subscriber, lag probe: each over TLS


async def test_a_broker_certificate_from_another_authority_is_refused(tls_broker, tmp_path):
    proxy, _ = tls_broker
    other_authority, _ = _certificate(tmp_path, "someone-else")
    kafka = _settings(f"127.0.0.1:{proxy.port}", KAFKA_SECURITY_PROTOCOL="SSL",
                      KAFKA_SSL_CAFILE=str(other_authority)).kafka
    producer = make_producer(kafka)
    with pytest.raises(Exception) as refused:
        await asyncio.wait_for(producer.start(), 30)
    await producer.stop()
    assert "Unable to bootstrap" in str(refused.value) or isinstance(refused.value, (ssl.SSLError, TimeoutError))
