"""Request and response bodies shared by the API routes (they shape the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

MAX_BATCH = 1000


class Batch(BaseModel):
    """A batch of records from one source; re-sending it changes nothing (idempotent)."""

    source: str = Field(..., min_length=1, max_length=200, description="source name, e.g. 'crm'")
    items: list[dict[str, Any]] = Field(
        ..., min_length=1, max_length=MAX_BATCH, description="up to 1,000 records"
    )
    mapping: dict[str, str] | None = Field(
        None, description="optional item key -> canonical field, like the CLI's --map"
    )


class ItemError(BaseModel):
    index: int = Field(..., description="position of the item in the batch (0-based)")
    field: str | None = None
    message: str


class BatchResult(BaseModel):
    received: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[ItemError]
    run_id: int | None = None


class Rows(BaseModel):
    """An analysis result: its name, the parameters used and the rows."""

    analysis: str
    params: dict[str, Any]
    rows: list[dict[str, Any]]
    method: str | None = None


class ErrorBody(BaseModel):
    error: str
    hint: str | None = None
    details: Any = None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no or invalid credentials"},
    403: {"model": ErrorBody, "description": "role or token scope may not"},
    404: {"model": ErrorBody, "description": "missing or outside your data scope"},
    422: {"model": ErrorBody, "description": "invalid fields"},
}
