"""A local OpenID Connect issuer for tests: a real HTTP server publishing discovery and keys.

It runs `http.server` in a thread on a free loopback port, so the verifier under test goes through
its real HTTP path (discovery, JWKS, size limits, refetch on rotation) with nothing stubbed.

    with LocalOidcIssuer() as issuer:
        token = issuer.mint("alice", ["coordinator"])
        ... OidcSettings(issuer=issuer.issuer, audience=issuer.audience) ...
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks"
DEFAULT_AUDIENCE = "referrals-staff"


class LocalOidcIssuer:
    """Serves discovery and JWKS for RSA keys generated per instance; `mint` signs tokens with them.

    `discovery_issuer` is what the discovery document claims as issuer (the real URL unless a test
    sets it, e.g. to check that a mismatch is refused). `requests` counts GETs by path.
    """

    def __init__(self, audience: str = DEFAULT_AUDIENCE) -> None:
        self.audience = audience
        self._keys: list[RSAKey] = []
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.discovery_issuer: str | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval: shutdown() waits up to one interval for the serving loop to notice.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="oidc-issuer", daemon=True)
        self.rotate()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> LocalOidcIssuer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalOidcIssuer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- keys -----------------------------------------------------------------------------------

    @property
    def kid(self) -> str:
        """The key id `mint` signs with by default: the newest key's."""
        with self._lock:
            return str(self._keys[-1].kid)

    @property
    def published_kids(self) -> list[str]:
        with self._lock:
            return [str(key.kid) for key in self._keys]

    def rotate(self) -> str:
        """Generate a new key, publish it beside the old ones and sign with it from now on; its kid."""
        key = RSAKey.generate_key(2048, parameters={"kid": f"key-{uuid.uuid4().hex[:12]}", "use": "sig"})
        with self._lock:
            self._keys.append(key)
        return str(key.kid)

    def retire(self, kid: str) -> None:
        """Stop publishing (and signing with) the key `kid`."""
        with self._lock:
            self._keys = [key for key in self._keys if key.kid != kid]

    def private_key(self, kid: str | None = None) -> RSAKey:
        with self._lock:
            if kid is None:
                return self._keys[-1]
            return next(key for key in self._keys if key.kid == kid)

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            # Public halves only: as_dict(private=False) drops d, p, q and the CRT values.
            return {"keys": [key.as_dict(private=False, alg="RS256") for key in self._keys]}

    # -- tokens ---------------------------------------------------------------------------------

    def mint(self, sub: str, roles: list[str] | None = None, worker_id: uuid.UUID | str | None = None, *,
             aud: str | list[str] | None = None, exp_in: float = 300, kid: str | None = None,
             iss: str | None = None, signing_key: RSAKey | None = None, iat_offset: float = 0,
             roles_claim: str = "roles", worker_id_claim: str = "worker_id", **extra: Any) -> str:
        """A signed RS256 token. `kid` is the header's key id (default the newest key's) and picks the
        published key to sign with; `signing_key` signs with another key under that kid (a forgery).
        `exp_in` is seconds from now (negative: already expired); `extra` adds or overrides claims.
        """
        now = int(time.time() + iat_offset)
        header_kid = kid if kid is not None else self.kid
        key = signing_key if signing_key is not None else self.private_key(header_kid)
        claims: dict[str, Any] = {
            "iss": iss if iss is not None else self.issuer,
            "sub": sub,
            "aud": aud if aud is not None else self.audience,
            "iat": now,
            "exp": int(now + exp_in),
        }
        if roles is not None:
            claims[roles_claim] = list(roles)
        if worker_id is not None:
            claims[worker_id_claim] = str(worker_id)
        claims.update(extra)
        return jwt.encode({"alg": "RS256", "kid": header_kid}, claims, key, algorithms=["RS256"])

    # -- HTTP -----------------------------------------------------------------------------------

    def _document(self, path: str) -> dict[str, Any] | None:
        if path == DISCOVERY_PATH:
            return {
                "issuer": self.discovery_issuer if self.discovery_issuer is not None else self.issuer,
                "jwks_uri": self.issuer + JWKS_PATH,
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
            }
        if path == JWKS_PATH:
            return self.jwks()
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                with issuer._lock:
                    issuer.requests[self.path] += 1
                document = issuer._document(self.path)
                body = json.dumps(document if document is not None else {"error": "not found"}).encode()
                self.send_response(200 if document is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # Quiet: test output is for failures, not for every GET.
                pass

        return Handler
