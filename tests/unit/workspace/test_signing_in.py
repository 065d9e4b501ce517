"""Signing in and out of the workspace, the session cookie, CSRF, and where a signed-out person is sent."""

from __future__ import annotations

import pytest

from services.workspace.adapters.cookies import SessionCookie, key_from_secret
from services.workspace.domain.session import Session
from services.workspace.entrypoints.web import SESSION_COOKIE
from tests.unit.workspace.support import PASSWORD, FakeServices, client_for, csrf_of, signed_in

PAGES = ["/", "/offers", "/cases", "/cases/0b0f0000-0000-4000-8000-000000000000", "/reviews", "/match-reviews",
         "/reports", "/waiting-list"]


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_every_page_sends_you_to_sign_in_and_back(path):
    client = client_for(FakeServices())
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
    assert response.headers["location"].endswith(path.replace("/", "%2F"))


def test_signing_in_keeps_the_token_in_an_encrypted_http_only_cookie():
    fake = FakeServices()
    client = client_for(fake)
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": "alex@example.org", "password": PASSWORD,
                                             "csrf_token": csrf_of(page.text), "next": "/cases"})
    assert response.status_code == 303 and response.headers["location"] == "/cases"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = fake.calls[-1]  # the sign-in call
    assert token.url.path == "/v1/sessions"
    value = cookie.split(";")[0].split("=", 1)[1]
    assert "eyJ" not in value  # no JWT in the clear (a JWT's header always starts so)
    home = client.get("/")
    assert home.status_code == 200 and "My caseload" in home.text and "alex@example.org" in home.text


def test_a_wrong_password_says_so_and_keeps_the_email():
    client = client_for(FakeServices())
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": "alex@example.org", "password": "wrong password",
                                             "csrf_token": csrf_of(page.text)})
    assert response.status_code == 401
    assert "There is a problem" in response.text and "not right" in response.text
    assert 'value="alex@example.org"' in response.text and "<title>Error: Sign in</title>" in response.text


def test_empty_fields_are_named_in_the_error_summary():
    client = client_for(FakeServices())
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": "", "password": "", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    assert 'href="#email"' in response.text and 'href="#password"' in response.text


def test_a_form_without_its_csrf_token_is_refused():
    fake = FakeServices()
    client = client_for(fake)
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": "alex@example.org", "password": PASSWORD,
                                             "csrf_token": "forged"})
    assert response.status_code == 403
    assert not fake.bodies("POST", "/v1/sessions")  # identity was never asked
    signed = signed_in(FakeServices())
    assert signed.post("/sign-out", data={"csrf_token": "forged"}).status_code == 403


def test_signing_out_ends_the_session_at_identity_and_forgets_the_cookie():
    fake = FakeServices()
    client = signed_in(fake)
    home = client.get("/")
    response = client.post("/sign-out", data={"csrf_token": csrf_of(home.text)})
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    assert [c.method for c in fake.calls if c.url.path == "/v1/sessions/current"] == ["DELETE"]
    assert client.get("/").status_code == 303


def test_next_never_leaves_the_site():
    client = client_for(FakeServices())
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": "a@example.org", "password": PASSWORD,
                                             "csrf_token": csrf_of(page.text), "next": "//evil.example/x"})
    assert response.headers["location"] == "/"


def test_a_tampered_or_foreign_cookie_is_no_session():
    cookie = SessionCookie(key_from_secret("k" * 40), max_age_s=60)
    session = Session(token="t", csrf="c", name="n", roles=("connector",), expires_at=2e9)
    sealed = cookie.seal(session)
    assert cookie.open(sealed) == session
    assert cookie.open(sealed[:-4] + "AAAA") is None
    assert SessionCookie(key_from_secret("other" * 10), max_age_s=60).open(sealed) is None
    assert cookie.open("") is None and cookie.open("x" * 9000) is None


def test_the_services_refusing_the_token_signs_the_person_out():
    fake = FakeServices()
    fake.on("GET", "caseload", r"/v1/cases", lambda request, match: __import__("httpx").Response(401, json={}))
    client = signed_in(fake)
    response = client.get("/cases")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_loading_the_sign_in_page_again_keeps_the_form_on_screen_valid():
    # A browser fetches other addresses meanwhile (its favicon leads to sign-in too): the token must not change.
    client = client_for(FakeServices())
    first = client.get("/sign-in")
    client.get("/favicon.ico")
    again = client.get("/sign-in")
    assert csrf_of(first.text) == csrf_of(again.text)
    response = client.post("/sign-in", data={"email": "a@example.org", "password": PASSWORD,
                                             "csrf_token": csrf_of(first.text)})
    assert response.status_code == 303


def test_a_session_past_its_tokens_expiry_signs_in_again():
    from tests.unit.workspace.support import SETTINGS

    client = client_for(FakeServices())
    cookie = SessionCookie(key_from_secret(SETTINGS["AUTH_SECRET"]), max_age_s=3600)
    expired = Session(token="t", csrf="c", name="n", roles=("connector",), expires_at=1.0, worker_id="w")
    client.cookies.set(SESSION_COOKIE, cookie.seal(expired))
    response = client.get("/cases")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
