"""Server-rendered pages; each module is one area of the app."""

from fastapi import APIRouter

from cxloop.web.pages import admin, auth, cases, dashboards, data

router = APIRouter(include_in_schema=False)
for module in (auth, dashboards, cases, data, admin):
    router.include_router(module.router)
