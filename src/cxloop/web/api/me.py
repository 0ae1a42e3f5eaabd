"""Who am I: the caller's account, role and data scope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from cxloop.web.api.schemas import ERRORS
from cxloop.web.deps import Principal, get_principal

router = APIRouter(tags=["account"], responses=ERRORS)


@router.get("/me")
def me(principal: Principal = Depends(get_principal)) -> dict[str, Any]:
    scope = principal.scope
    return {
        "email": principal.user.email,
        "role": principal.role,
        "team_id": principal.user.team_id,
        "via": principal.via,
        "token_scope": principal.access,
        "segments": scope.segments,
        "regions": scope.regions,
    }
