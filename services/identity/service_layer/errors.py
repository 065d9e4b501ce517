"""Refusals of identity's use cases, by kind; the HTTP entrypoint maps each kind to its status."""


class NotFound(Exception):
    pass


class EmailTaken(Exception):
    pass


class SignInRefused(Exception):
    """Wrong password, unknown email or disabled account: one kind, so a caller cannot tell which."""

    def __init__(self) -> None:
        super().__init__("the email or password is not right")


class OidcNotConfigured(Exception):
    """No OpenID Connect issuer is configured (OIDC_ISSUER), so its tokens cannot be checked."""

    def __init__(self) -> None:
        super().__init__("sign-in with OpenID Connect is not configured")
