"""The REST API under ``/api/v1``; one module per resource."""

from fastapi import APIRouter

from cxloop.web.api import cases, data, insights, mail, me, plans

router = APIRouter(prefix="/api/v1")
for module in (me, data, insights, cases, mail, plans):
    router.include_router(module.router)
