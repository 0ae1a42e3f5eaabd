"""Inbound e-mail webhook and follow-up answers (filled in as the loop service lands)."""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.web.api.schemas import ERRORS

router = APIRouter(tags=["loop"], responses=ERRORS)
