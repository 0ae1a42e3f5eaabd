"""The REST API under ``/api/v1``; one module per resource."""

from fastapi import APIRouter

from cxloop.web.api import cases, data, insights, mail, me

router = APIRouter(prefix="/api/v1")
for module in (me, data, insights, cases, mail):
    router.include_router(module.router)
