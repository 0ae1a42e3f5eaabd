"""The FastAPI application factory: ``create_app(settings)``.

Everything a request needs (settings, engine, session maker, templates, result cache) is
created here and kept on ``app.state``; routes receive it through ``deps``. User errors of the
``CxloopError`` family become 4xx answers — JSON under ``/api``, a page elsewhere, a redirect
to the sign-in page for a browser without a session — and request validation errors become
422 with the field that was wrong. Nothing a client sends is meant to produce a 500.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxloop import __version__
from cxloop.config import Settings
from cxloop.errors import AuthenticationRequired, CxloopError
from cxloop.storage.db import engine_for, session_factory
from cxloop.web import warming
from cxloop.web.cache import ResultCache
from cxloop.web.rendering import make_templates, render

log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).parent

API_DESCRIPTION = """
The cxloop REST API. Authenticate with `Authorization: Bearer <token>`; create a token with
`cxloop tokens create --user you@example.com --scope read|write`.

Status codes: **401** without (valid) credentials, **403** when the role or the token scope may
not do this, **404** when the object does not exist or is outside your data scope, **422**
with per-field errors for a bad payload, **429** when sign-in is rate limited.
"""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_body(exc: CxloopError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": exc.message}
    if exc.hint:
        body["hint"] = exc.hint
    if exc.details is not None:
        body["details"] = exc.details
    return body


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CxloopError)
    async def cxloop_error(request: Request, exc: CxloopError) -> Response:
        status = exc.http_status
        if _is_api(request):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(_error_body(exc), status_code=status, headers=headers)
        if isinstance(exc, AuthenticationRequired) and request.method == "GET":
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            from urllib.parse import quote

            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return render(
            request,
            "error.html",
            {"status": status, "message": exc.message, "hint": exc.hint},
            status_code=status,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        fields = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "message": err.get("msg", "invalid"),
            }
            for err in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse(
                {"error": "the request has invalid fields", "details": fields}, status_code=422
            )
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return render(
            request,
            "error.html",
            {"status": 422, "message": message, "hint": "go back and correct the form"},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code == 405:
            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "message": str(exc.detail), "hint": None},
            status_code=exc.status_code,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:  # pragma: no cover
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal error; see the server log"}, status_code=500)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for one workspace (tests build several, each with its own settings)."""
    settings = settings or Settings()
    engine = engine_for(settings)
    app = FastAPI(
        title="cxloop",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)
    app.state.templates = make_templates(WEB_DIR / "templates")
    app.state.cache = ResultCache(engine)
    warming.install(app)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    _install_error_handlers(app)

    from cxloop.web import sso
    from cxloop.web.api import router as api_router
    from cxloop.web.pages import router as pages_router

    app.include_router(api_router)
    app.include_router(pages_router)
    sso.install(app, settings.signing_key)
    app.include_router(sso.router)

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> Response:
        """Swagger UI from vendored files, so the docs work offline."""
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="cxloop API",
            swagger_js_url="/static/vendor/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/docs"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "script-src 'self'; frame-ancestors 'none'",
            )
        return response

    return app
