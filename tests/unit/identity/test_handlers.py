"""Identity's use cases against in-memory fakes: accounts, sign-in (password and OpenID Connect), sign-out,
and the revocations they publish for every service to refuse the session's token."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.identity.domain.accounts import UnknownRole
from services.identity.service_layer import commands as c
from services.identity.service_layer import handlers
from services.identity.service_layer.errors import EmailTaken, NotFound, OidcNotConfigured, SignInRefused
from services.identity.service_layer.handlers import Identity
from shared.platform.auth import verify_staff_token
from shared.platform.oidc import OidcIdentity, OidcTokenRefused
from shared.schemas import topics
from shared.schemas.events.session import SessionRevoked
from tests.unit.identity.fakes import FakeIdentityUnitOfWork, FakeVerifier, PlainHasher

SECRET = "k" * 40
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def uow() -> FakeIdentityUnitOfWork:
    return FakeIdentityUnitOfWork()


@pytest.fixture
def identity(uow) -> Identity:
    return Identity(uow=uow, hasher=PlainHasher(), token_secret=lambda: SECRET, clock=lambda: NOW)


async def _account(identity: Identity, email="Asha@Example.org", roles=("connector",), **more):
    return await identity.handle(c.CreateAccount(name="Asha", email=email, roles=roles, password=PASSWORD, **more))


async def test_an_account_keeps_a_hash_never_the_password_and_its_email_lower_cased(identity, uow):
    account = await _account(identity, email="  Asha@Example.ORG ")
    assert account.email == "asha@example.org"
    assert uow.accounts.by_id[account.id].password_hash == "h:" + PASSWORD  # the hasher's output, not the password
    assert PASSWORD not in repr(c.CreateAccount(name="a", email="e", roles=(), password=PASSWORD))


async def test_one_account_per_email_however_typed_and_only_known_roles(identity):
    await _account(identity, email="asha@example.org")
    with pytest.raises(EmailTaken):
        await _account(identity, email="ASHA@example.org")
    with pytest.raises(UnknownRole):
        await _account(identity, email="other@example.org", roles=("superuser",))


async def test_sign_in_issues_a_staff_token_of_the_account_with_its_session(identity, uow):
    worker = uuid.uuid4()
    account = await _account(identity, roles=("connector",), worker_id=worker, programmes=("north", "south"))
    signed_in = await identity.handle(c.SignIn(email="ASHA@example.org ", password=PASSWORD))
    principal = verify_staff_token(SECRET, signed_in.access_token)
    assert principal.subject == str(account.id) and principal.roles == {"connector"}
    assert principal.worker_id == worker and principal.programmes == {"north", "south"}
    assert principal.session_id == signed_in.session.id
    assert uow.accounts and uow.sessions.by_id[signed_in.session.id].expires_at == NOW + timedelta(hours=1)
    assert signed_in.expires_in == 3600


async def test_a_referrers_account_names_its_partner_and_signs_in_to_that_partner_only(identity, uow):
    account = await _account(identity, roles=("referrer",), partner_id="gp-surgery")
    signed_in = await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD))
    principal = verify_staff_token(SECRET, signed_in.access_token)
    assert principal.roles == {"referrer"} and principal.partner_id == "gp-surgery"
    for roles, partner in ((("referrer",), None), (("referrer", "coordinator"), "gp-surgery"),
                           (("coordinator",), "gp-surgery")):
        with pytest.raises(UnknownRole):
            await _account(identity, email=f"{uuid.uuid4().hex}@example.org", roles=roles, partner_id=partner)
    with pytest.raises(UnknownRole):  # a change that would leave a referrer bound to no partner
        await identity.handle(c.UpdateAccount(account.id, {"partner_id": None}))
    moved = await identity.handle(c.UpdateAccount(account.id, {"partner_id": "council"}))
    assert moved.partner_id == "council"
    assert uow.sessions.by_id[signed_in.session.id].revoked_at is not None  # its token spoke for the old partner


async def test_an_account_naming_sites_signs_in_to_those_sites_only(identity):
    await _account(identity, roles=("coordinator",), programmes=("north",), sites=("Dalston", "Hackney Wick"))
    signed_in = await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD))
    principal = verify_staff_token(SECRET, signed_in.access_token)
    assert principal.programmes == {"north"} and principal.sites == {"Dalston", "Hackney Wick"}


async def test_an_account_without_programmes_works_in_every_programme(identity):
    await _account(identity, roles=("coordinator",))
    signed_in = await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD))
    assert verify_staff_token(SECRET, signed_in.access_token).programmes is None


@pytest.mark.parametrize("email, password", [("asha@example.org", "wrong password!"),
                                             ("nobody@example.org", PASSWORD)])
async def test_a_wrong_password_and_an_unknown_email_are_refused_alike(identity, uow, email, password):
    await _account(identity)
    with pytest.raises(SignInRefused) as refused:
        await identity.handle(c.SignIn(email=email, password=password))
    assert str(refused.value) == "the email or password is not right"
    assert uow.sessions.by_id == {}


async def test_sign_out_revokes_the_session_and_publishes_it_once(identity, uow):
    account = await _account(identity)
    signed_in = await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD))
    await identity.handle(c.SignOut(session_id=signed_in.session.id, account_id=account.id))
    await identity.handle(c.SignOut(session_id=signed_in.session.id, account_id=account.id))  # again: nothing new
    [revoked] = uow.events(topics.SESSIONS)
    assert isinstance(revoked, SessionRevoked)
    assert (revoked.session_id, revoked.account_id, revoked.reason) == (signed_in.session.id, account.id, "signed_out")
    assert revoked.expires_at == signed_in.session.expires_at  # so each service can forget it after that
    assert uow.sessions.by_id[signed_in.session.id].revoked_at == NOW


async def test_no_one_signs_out_anothers_session(identity):
    await _account(identity)
    signed_in = await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD))
    with pytest.raises(NotFound):
        await identity.handle(c.SignOut(session_id=signed_in.session.id, account_id=uuid.uuid4()))


async def test_disabling_an_account_revokes_every_live_session_and_it_cannot_sign_in(identity, uow):
    account = await _account(identity)
    sessions = [await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD)) for _ in range(2)]
    await identity.handle(c.UpdateAccount(account.id, {"disabled": True}))
    revoked = uow.events(topics.SESSIONS)
    assert {e.session_id for e in revoked} == {s.session.id for s in sessions}
    assert {e.reason for e in revoked} == {"account_disabled"}
    with pytest.raises(SignInRefused):
        await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD))
    await identity.handle(c.UpdateAccount(account.id, {"disabled": True}))  # already disabled: nothing new
    assert len(uow.events(topics.SESSIONS)) == 2


async def test_changing_an_account_checks_roles_and_leaves_the_rest(identity):
    account = await _account(identity, roles=("connector",), programmes=("north",))
    changed = await identity.handle(c.UpdateAccount(account.id, {"roles": ["coordinator", "connector"]}))
    assert changed.roles == ("connector", "coordinator") and changed.programmes == ("north",)
    with pytest.raises(UnknownRole):
        await identity.handle(c.UpdateAccount(account.id, {"roles": ["root"]}))
    with pytest.raises(NotFound):
        await identity.handle(c.UpdateAccount(uuid.uuid4(), {"roles": ["admin"]}))


async def test_a_new_password_replaces_the_old(identity):
    account = await _account(identity)
    await identity.handle(c.SetPassword(account.id, "a brand new passphrase"))
    with pytest.raises(SignInRefused):
        await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD))
    assert await identity.handle(c.SignIn(email="asha@example.org", password="a brand new passphrase"))
    with pytest.raises(NotFound):
        await identity.handle(c.SetPassword(uuid.uuid4(), "another passphrase"))


def _oidc(email: str | None, email_verified: bool | None = None) -> OidcIdentity:
    return OidcIdentity(subject="idp-1", email=email, name=None, roles=frozenset({"admin"}), worker_id=None,
                        expires_at=NOW + timedelta(minutes=5), email_verified=email_verified)


async def test_oidc_sign_in_finds_the_account_by_email_and_gives_the_accounts_roles_not_the_providers(identity):
    account = await _account(identity, roles=("coordinator",))
    identity.oidc = FakeVerifier({"good": _oidc("ASHA@example.org"), "stranger": _oidc("who@example.org"),
                                  "no-email": _oidc(None), "unverified": _oidc("asha@example.org", False),
                                  "verified": _oidc("asha@example.org", True)})
    signed_in = await identity.handle(c.SignInWithOidc("good"))
    principal = verify_staff_token(SECRET, signed_in.access_token)
    assert principal.subject == str(account.id) and principal.roles == {"coordinator"}
    assert principal.session_id == signed_in.session.id
    assert await identity.handle(c.SignInWithOidc("verified"))
    for token in ("stranger", "no-email", "unverified"):
        with pytest.raises(SignInRefused):
            await identity.handle(c.SignInWithOidc(token))
    with pytest.raises(OidcTokenRefused):
        await identity.handle(c.SignInWithOidc("forged"))
    await identity.handle(c.UpdateAccount(account.id, {"disabled": True}))
    with pytest.raises(SignInRefused):
        await identity.handle(c.SignInWithOidc("good"))
    assert "good" not in repr(c.SignInWithOidc("good"))


async def test_oidc_sign_in_without_a_configured_issuer_is_refused_as_not_configured(identity):
    with pytest.raises(OidcNotConfigured):
        await identity.handle(c.SignInWithOidc("anything"))


async def test_accounts_are_listed_by_email_and_found_by_id(identity):
    b = await _account(identity, email="b@example.org")
    a = await _account(identity, email="a@example.org")
    assert [x.id for x in await handlers.list_accounts(identity, 10, 0)] == [a.id, b.id]
    assert (await handlers.get_account(identity, b.id)).email == "b@example.org"
    with pytest.raises(NotFound):
        await handlers.get_account(identity, uuid.uuid4())


async def test_a_change_of_roles_programmes_or_worker_or_a_password_reset_ends_the_sessions_a_name_does_not(
        identity, uow):
    account = await _account(identity, roles=("coordinator",))

    async def revocations_after(command) -> list[str]:
        await identity.handle(c.SignIn(email="asha@example.org", password=PASSWORD))
        before = len(uow.events(topics.SESSIONS))
        await identity.handle(command)
        return [e.reason for e in uow.events(topics.SESSIONS)[before:]]

    assert await revocations_after(c.UpdateAccount(account.id, {"name": "Asha B"})) == []
    # The session left live by the rename ends with the next change too: two sessions each time from here.
    assert await revocations_after(c.UpdateAccount(account.id, {"roles": ["manager"]})) == ["account_changed"] * 2
    assert await revocations_after(c.UpdateAccount(account.id, {"programmes": ["north"]})) == ["account_changed"]
    assert await revocations_after(c.UpdateAccount(account.id, {"sites": ["Dalston"]})) == ["account_changed"]
    assert await revocations_after(c.UpdateAccount(account.id, {"worker_id": uuid.uuid4()})) == ["account_changed"]
    assert await revocations_after(c.SetPassword(account.id, PASSWORD)) == ["password_changed"]
