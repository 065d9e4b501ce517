"""What the workspace reads from the environment: where each service is, and how to keep sessions."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.platform.settings import refuse_placeholder


class WorkspaceSettings(BaseSettings):
    # An error names the setting, never the value: the session secret is one.
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    intake_url: str = Field(validation_alias="INTAKE_URL")
    triage_url: str = Field(validation_alias="TRIAGE_URL")
    caseload_url: str = Field(validation_alias="CASELOAD_URL")
    outcomes_url: str = Field(validation_alias="OUTCOMES_URL")
    identity_url: str = Field(validation_alias="IDENTITY_URL")
    # The session cookie's key is derived from this (HKDF): its own secret, or the deployment's AUTH_SECRET.
    session_secret: str = Field(min_length=32, validation_alias=AliasChoices("WORKSPACE_SESSION_SECRET",
                                                                             "AUTH_SECRET"))
    # Secure cookies only travel over HTTPS; a local run on http://127.0.0.1 turns this off.
    cookie_secure: bool = Field(default=True, validation_alias="WORKSPACE_COOKIE_SECURE")
    session_max_age_s: int = Field(default=12 * 3600, validation_alias="WORKSPACE_SESSION_MAX_AGE_S")
    http_host: str = Field(default="127.0.0.1", validation_alias="HTTP_HOST")
    http_port: int = Field(default=8006, validation_alias="HTTP_PORT")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    api_timeout_s: float = Field(default=15, validation_alias="WORKSPACE_API_TIMEOUT_S")

    @field_validator("session_secret")
    @classmethod
    def _a_real_secret(cls, value: str) -> str:
        # A deployment template's stand-in is long enough to pass min_length: refused, as the services do.
        return refuse_placeholder("WORKSPACE_SESSION_SECRET", value)
