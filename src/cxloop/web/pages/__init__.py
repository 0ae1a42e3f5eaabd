"""Server-rendered pages; each module is one area of the app."""

from fastapi import APIRouter

from cxloop.web.pages import admin, analysis, auth, cases, dashboards, data, plans, taxonomy

router = APIRouter(include_in_schema=False)
for module in (auth, dashboards, analysis, cases, data, plans, taxonomy, admin):
    router.include_router(module.router)
