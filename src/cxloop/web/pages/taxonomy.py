"""Taxonomy and journey editor, with the discovered-theme proposals.

Both are edited as the same YAML documents the CLI imports and exports, validated by the text
engine's parsers (an error names the line), so what the page saves is exactly what
``cxloop taxonomy import`` would. Proposals from theme discovery can be accepted into the
taxonomy or rejected here.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.errors import CxloopError
from cxloop.web import audit
from cxloop.web.deps import Principal, client_ip, get_db, get_engine, require
from cxloop.web.rendering import render

router = APIRouter(prefix="/taxonomy")


def _page(
    request: Request,
    *,
    taxonomy: str | None = None,
    journey: str | None = None,
    error: str | None = None,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    from cxloop.text.journey import journey_to_yaml, load_journey
    from cxloop.text.proposals import list_proposals
    from cxloop.text.taxonomy import export_taxonomy, list_themes, theme_ids

    engine = get_engine(request)
    return render(
        request,
        "taxonomy.html",
        {
            "themes": list_themes(engine, include_inactive=True),
            "taxonomy_yaml": taxonomy if taxonomy is not None else export_taxonomy(engine),
            "journey_yaml": journey
            if journey is not None
            else journey_to_yaml(load_journey(engine)),
            "proposals": list_proposals(engine),
            "ids": theme_ids(engine),
            "error": error,
            "flash": flash,
        },
        status_code=status,
    )


@router.get("")
def taxonomy_page(
    request: Request, principal: Principal = Depends(require("taxonomy.write"))
) -> Response:
    return _page(request)


@router.post("/themes")
def save_taxonomy(
    request: Request,
    document: str = Form(..., max_length=1_000_000),
    principal: Principal = Depends(require("taxonomy.write")),
    db: Session = Depends(get_db),
) -> Response:
    from cxloop.text.taxonomy import import_taxonomy, parse_taxonomy

    try:
        result = import_taxonomy(get_engine(request), parse_taxonomy(document, "the editor"))
    except CxloopError as exc:
        return _page(request, taxonomy=document, error=str(exc), status=exc.http_status)
    audit.record(
        db,
        user=principal.user,
        action="taxonomy.save",
        target_type="taxonomy",
        detail={"result": str(result)[:500]},
        ip=client_ip(request),
    )
    db.commit()
    request.app.state.cache.invalidate()
    return _page(request, flash="Taxonomy saved. Run 'cxloop enrich' to re-score feedback.")


@router.post("/journey")
def save_journey_doc(
    request: Request,
    document: str = Form(..., max_length=1_000_000),
    principal: Principal = Depends(require("taxonomy.write")),
    db: Session = Depends(get_db),
) -> Response:
    from cxloop.text.journey import parse_journey, save_journey

    try:
        save_journey(get_engine(request), parse_journey(document, "the editor"))
    except CxloopError as exc:
        return _page(request, journey=document, error=str(exc), status=exc.http_status)
    audit.record(
        db, user=principal.user, action="journey.save", target_type="journey", ip=client_ip(request)
    )
    db.commit()
    request.app.state.cache.invalidate()
    return _page(request, flash="Journey saved.")


@router.post("/proposals/{proposal_id}")
def decide_proposal(
    request: Request,
    proposal_id: int,
    decision: str = Form(...),
    name: str = Form("", max_length=200),
    principal: Principal = Depends(require("taxonomy.write")),
    db: Session = Depends(get_db),
) -> Response:
    from cxloop.text.proposals import accept_proposal, reject_proposal

    try:
        if decision == "accept":
            accept_proposal(get_engine(request), proposal_id, name=name or None)
        else:
            reject_proposal(get_engine(request), proposal_id)
    except CxloopError as exc:
        return _page(request, error=str(exc), status=exc.http_status)
    audit.record(
        db,
        user=principal.user,
        action=f"proposal.{decision}",
        target_type="theme_proposal",
        target_id=proposal_id,
        ip=client_ip(request),
        detail={"name": name},
    )
    db.commit()
    return RedirectResponse("/taxonomy", status_code=303)
