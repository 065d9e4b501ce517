from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from shared.platform.auth import issue_staff_token, verify_staff_token

SECRET = "s" * 40


def test_staff_token_round_trip():
    principal = verify_staff_token(SECRET, issue_staff_token(SECRET, "coord-1", ["coordinator"]))
    assert principal.subject == "coord-1" and principal.roles == {"coordinator"}


def test_staff_token_rejected_when_forged_expired_or_for_unknown_roles():
    with pytest.raises(jwt.InvalidSignatureError):
        verify_staff_token(SECRET, issue_staff_token("t" * 40, "x", ["admin"]))
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_staff_token(SECRET, issue_staff_token(SECRET, "x", ["admin"], ttl=timedelta(seconds=-1)))
    with pytest.raises(ValueError, match="unknown roles"):
        issue_staff_token(SECRET, "x", ["superuser"])
