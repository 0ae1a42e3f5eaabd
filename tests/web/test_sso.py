"""OpenID Connect sign-on against a small real identity provider (a FastAPI app served by
uvicorn on its own port) that implements the authorization-code flow: discovery, authorize,
token and userinfo endpoints. Only what cxloop uses is implemented; no signature checks on an
ID token are exercised because this provider returns none (cxloop then asks userinfo)."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from conftest import free_port, serving


def identity_provider(port: int, email: str) -> FastAPI:
    base = f"http://127.0.0.1:{port}"
    idp = FastAPI()
    codes: dict[str, str] = {}

    @idp.get("/.well-known/openid-configuration")
    def discovery() -> dict:
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
        }

    @idp.get("/authorize")
    def authorize(request: Request) -> RedirectResponse:
        q = request.query_params
        assert q["client_id"] == "cxloop-test" and q["response_type"] == "code"
        codes["code-1"] = q["redirect_uri"]
        return RedirectResponse(
            f"{q['redirect_uri']}?" + urlencode({"code": "code-1", "state": q["state"]}),
            status_code=302,
        )

    @idp.post("/token")
    def token(code: str = Form(...), redirect_uri: str = Form(...)) -> JSONResponse:
        if codes.get(code) != redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse(
            {"access_token": "access-1", "token_type": "Bearer", "expires_in": 3600}
        )

    @idp.get("/userinfo")
    def userinfo(request: Request) -> dict:
        assert request.headers["authorization"] == "Bearer access-1"
        return {"sub": "42", "email": email, "email_verified": True}

    return idp


def run_idp(email: str):
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            identity_provider(port, email),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("email", "signed_in"), [("analyst@example.com", True), ("stranger@example.com", False)]
)
def test_sign_on_with_an_openid_provider(settings, monkeypatch, email, signed_in):
    server, thread, base = run_idp(email)
    monkeypatch.setenv("CXLOOP_OIDC_METADATA_URL", f"{base}/.well-known/openid-configuration")
    monkeypatch.setenv("CXLOOP_OIDC_CLIENT_ID", "cxloop-test")
    monkeypatch.setenv("CXLOOP_OIDC_CLIENT_SECRET", "test-secret")
    try:
        with serving(settings) as live:
            client = httpx.Client(base_url=live.url, follow_redirects=True, timeout=30)
            assert "Sign in with single sign-on" in client.get("/login").text
            resp = client.get("/login/sso")
            if signed_in:
                assert resp.status_code == 200 and resp.url.path == "/"
                assert "analyst@example.com · analyst" in resp.text
                audit = live.login("admin").get("/admin/audit?action=auth.login").text
                assert "oidc" in audit
            else:
                assert resp.status_code == 401
                assert "stranger@example.com has no active cxloop account" in resp.text
                assert "cxloop_session" not in client.cookies
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_sign_on_is_off_unless_configured(shared):
    client = shared.client()
    assert "single sign-on" not in client.get("/login").text
    assert client.get("/login/sso").status_code == 404
