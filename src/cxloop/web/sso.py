"""Optional single sign-on with OpenID Connect (Authlib), configured by settings.

Enabled only when ``CXLOOP_OIDC_METADATA_URL``, ``CXLOOP_OIDC_CLIENT_ID`` and
``CXLOOP_OIDC_CLIENT_SECRET`` are set (environment or the ``[oidc]``-free keys of the
workspace settings). The identity provider vouches for the e-mail address; cxloop still decides
the role: the address must belong to an active cxloop user, unless ``CXLOOP_OIDC_CREATE_ROLE``
names a role for first-time users (``viewer`` is the safe choice). The provider's e-mail must be
verified (``email_verified``) unless ``CXLOOP_OIDC_TRUST_UNVERIFIED_EMAIL`` is set.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session

from cxloop.errors import AuthenticationRequired, NotFoundError
from cxloop.web.deps import client_ip, get_db

router = APIRouter(include_in_schema=False)


class OidcSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXLOOP_OIDC_", extra="ignore")

    metadata_url: str | None = Field(None, description=".well-known/openid-configuration URL")
    client_id: str | None = None
    client_secret: str | None = None
    scopes: str = "openid email profile"
    create_role: str | None = Field(None, description="role for first-time SSO users")
    trust_unverified_email: bool = False
    label: str = "single sign-on"

    @property
    def enabled(self) -> bool:
        return bool(self.metadata_url and self.client_id and self.client_secret)


def install(app: Any, signing_key: bytes) -> OidcSettings:
    """Register the provider and the session middleware Authlib keeps its state in."""
    config = OidcSettings()
    app.state.oidc = None
    app.state.oidc_settings = config
    if not config.enabled:
        return config
    from authlib.integrations.starlette_client import OAuth
    from starlette.middleware.sessions import SessionMiddleware

    oauth = OAuth()
    oauth.register(
        "provider",
        server_metadata_url=config.metadata_url,
        client_id=config.client_id,
        client_secret=config.client_secret,
        client_kwargs={"scope": config.scopes},
    )
    app.state.oidc = oauth
    app.add_middleware(
        SessionMiddleware,
        secret_key=signing_key.decode(),
        same_site="lax",
        https_only=False,
        session_cookie="cxloop_oidc_state",
        max_age=600,
    )
    return config


def _client(request: Request) -> Any:
    oauth = getattr(request.app.state, "oidc", None)
    if oauth is None:
        raise NotFoundError(
            "single sign-on is not configured",
            hint="set CXLOOP_OIDC_METADATA_URL, _CLIENT_ID and _CLIENT_SECRET",
        )
    return oauth.provider


@router.get("/login/sso")
async def sso_start(request: Request) -> Response:
    client = _client(request)
    redirect_uri = str(request.url_for("sso_callback"))
    return await client.authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]


@router.get("/login/sso/callback", name="sso_callback")
async def sso_callback(request: Request, db: Session = Depends(get_db)) -> Response:
    """Finish the provider's redirect; a refusal shows the sign-in page with the reason."""
    from cxloop.web.pages.auth import login_page

    try:
        return await _finish_sign_on(request, db)
    except AuthenticationRequired as exc:
        db.rollback()
        message = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return login_page(request, error=message, email=None, next_url="/", status=401)


async def _finish_sign_on(request: Request, db: Session) -> Response:
    from authlib.integrations.base_client.errors import OAuthError

    from cxloop.people.users import create_user, find_user
    from cxloop.web.audit import record
    from cxloop.web.pages.auth import set_session_cookie
    from cxloop.web.security import open_session

    client = _client(request)
    config: OidcSettings = request.app.state.oidc_settings
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        raise AuthenticationRequired(f"single sign-on failed: {exc.error}") from exc
    info = token.get("userinfo") or {}
    if not info:
        info = dict(await client.userinfo(token=token))
    email = str(info.get("email") or "").strip().lower()
    if not email:
        raise AuthenticationRequired("the identity provider did not share an e-mail address")
    if not info.get("email_verified") and not config.trust_unverified_email:
        raise AuthenticationRequired("the identity provider has not verified this e-mail")
    user = find_user(db, email)
    if user is None and config.create_role:
        user = create_user(db, email=email, role=config.create_role, name=info.get("name"))
    if user is None or not user.active:
        raise AuthenticationRequired(
            f"{email} has no active cxloop account", hint="ask an admin to create one"
        )
    new = open_session(db, user, ip=client_ip(request))
    record(
        db,
        user=user,
        action="auth.login",
        target_type="user",
        target_id=user.id,
        detail={"method": "oidc"},
        ip=client_ip(request),
    )
    db.commit()
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, new.cookie_value)
    return response
