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


# --- a signed-out session's token (shared/platform/sessions.py) ---------------------------------------


class _Revoked:
    def __init__(self, *session_ids) -> None:
        self.ids = set(session_ids)
        self.asked: list = []

    async def is_revoked(self, session_id) -> bool:
        self.asked.append(session_id)
        return session_id in self.ids


def _app_with_revocations(revoked):
    from types import SimpleNamespace

    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from shared.platform.auth import StaffPrincipal, require_staff, route_access

    app = FastAPI(dependencies=[Depends(route_access)])
    app.state.settings = SimpleNamespace(auth_secret=SECRET)
    app.state.service_name = "caseload"
    app.state.revoked_sessions = revoked

    @app.get("/v1/cases")
    async def cases(_: StaffPrincipal = Depends(require_staff())) -> dict:
        return {"ok": True}

    return TestClient(app)


def test_a_token_of_a_revoked_session_is_refused_and_one_without_a_session_is_not_looked_up():
    import uuid

    signed_out, live = uuid.uuid4(), uuid.uuid4()
    revoked = _Revoked(signed_out)
    client = _app_with_revocations(revoked)

    def get(**claims):
        token = issue_staff_token(SECRET, "cara", ["coordinator"], **claims)
        return client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})

    refused = get(session_id=signed_out)
    assert (refused.status_code, refused.json(), refused.headers["WWW-Authenticate"]) == (
        401, {"detail": "invalid token"}, "Bearer")
    assert get(session_id=live).status_code == 200
    assert get().status_code == 200
    assert revoked.asked == [signed_out, live]  # the minted token (no sid) cost no lookup


def test_a_token_with_a_session_is_not_taken_while_revocations_cannot_be_checked():
    import uuid

    client = _app_with_revocations(None)  # the service has not started its database yet
    token = issue_staff_token(SECRET, "cara", ["coordinator"], session_id=uuid.uuid4())
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 503
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {issue_staff_token(SECRET, 'c', ['admin'])}"}
                      ).status_code == 200


def test_a_malformed_session_claim_is_an_invalid_token():
    import jwt as pyjwt

    from datetime import UTC, datetime

    now = datetime.now(UTC)
    bad = pyjwt.encode({"iss": "community-connector-referrals", "sub": "x", "roles": ["admin"], "iat": now,
                        "exp": now + timedelta(minutes=5), "sid": "not-a-uuid"}, SECRET, algorithm="HS256")
    with pytest.raises(ValueError):
        verify_staff_token(SECRET, bad)


def test_a_referrers_token_names_its_partner_and_holds_no_other_role():
    principal = verify_staff_token(SECRET, issue_staff_token(SECRET, "r-1", ["referrer"], partner_id="gp-surgery"))
    assert principal.roles == {"referrer"} and principal.partner_id == "gp-surgery"
    with pytest.raises(ValueError, match="names its partner"):
        issue_staff_token(SECRET, "r-1", ["referrer"])  # bound to no partner
    with pytest.raises(ValueError, match="holds that role alone"):
        issue_staff_token(SECRET, "r-1", ["referrer", "coordinator"], partner_id="gp-surgery")
    with pytest.raises(ValueError, match="only a referrer"):
        issue_staff_token(SECRET, "c-1", ["coordinator"], partner_id="gp-surgery")


def test_a_hand_made_token_binding_staff_to_a_partner_or_a_referrer_to_none_is_refused():
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    base = {"iss": "community-connector-referrals", "sub": "x", "iat": now, "exp": now + timedelta(minutes=5)}
    for claims in ({"roles": ["admin"], "ptn": "gp-surgery"}, {"roles": ["referrer"]},
                   {"roles": ["referrer"], "ptn": ["gp-surgery"]}):
        with pytest.raises(jwt.InvalidTokenError):
            verify_staff_token(SECRET, jwt.encode({**base, **claims}, SECRET, algorithm="HS256"))
