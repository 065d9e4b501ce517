"""Event signing and data encryption settings for tests that build PlatformSettings outside a running system."""

from __future__ import annotations

from shared.platform.messaging.signing import format_verify_keys, generate_private_key, public_key_text
from shared.platform.sealing import generate_key_encryption_key

_KEY = generate_private_key()
# A service's own signing key and the verify list naming it: what every PlatformSettings needs.
EVENT_KEYS = {"EVENT_SIGNING_KEY": _KEY, "EVENT_VERIFY_KEYS": format_verify_keys({"intake": public_key_text(_KEY)}),
              "DATA_ENCRYPTION_KEY": generate_key_encryption_key()}
