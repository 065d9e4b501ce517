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


def test_a_token_claiming_a_longer_life_than_allowed_is_refused_however_signed():
    with pytest.raises(ValueError, match="at most"):
        issue_staff_token(SECRET, "x", ["admin"], ttl=timedelta(days=3650))
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    forged_long = jwt.encode({"iss": "community-connector-referrals", "sub": "x", "roles": ["admin"], "iat": now,
                              "exp": now + timedelta(days=365)}, SECRET, algorithm="HS256")
    with pytest.raises(jwt.InvalidTokenError, match="lifetime"):
        verify_staff_token(SECRET, forged_long)
    no_iat = jwt.encode({"iss": "community-connector-referrals", "sub": "x", "roles": ["admin"],
                         "exp": now + timedelta(minutes=5)}, SECRET, algorithm="HS256")
    with pytest.raises(jwt.MissingRequiredClaimError):
        verify_staff_token(SECRET, no_iat)
    wrong_issuer = jwt.encode({"iss": "elsewhere", "sub": "x", "roles": ["admin"], "iat": now,
                               "exp": now + timedelta(minutes=5)}, SECRET, algorithm="HS256")
    with pytest.raises(jwt.InvalidIssuerError):
        verify_staff_token(SECRET, wrong_issuer)


def test_a_workers_token_carries_its_worker_and_limits_it_to_its_own_work():
    import uuid

    worker_id = uuid.uuid4()
    connector = verify_staff_token(SECRET, issue_staff_token(SECRET, "asha", ["connector"], worker_id=worker_id))
    assert connector.worker_id == worker_id and connector.own_work_only
    coordinator = verify_staff_token(SECRET, issue_staff_token(SECRET, "cara", ["coordinator", "connector"]))
    assert coordinator.worker_id is None and not coordinator.own_work_only
