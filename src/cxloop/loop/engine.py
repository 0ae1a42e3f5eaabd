"""The rules engine: evaluate every enabled rule over new or re-enriched feedback, in bulk.

Why a frame: 20 rules over 100,000 feedback items must take seconds, so the feedback, its
customer, its enrichment and its themes are read once into a pandas frame (only the columns
the rules need), each rule is one vectorised pass, and the new matches, cases, history events
and tags are written with multi-row inserts.

Exactly-once: a match is a ``rule_matches`` row, unique on (rule, feedback), inserted with
ON CONFLICT DO NOTHING; only the rows this run actually inserted go on to open cases (also
unique on (rule, feedback)), tag and notify. The whole run is one transaction, so an
interrupted run leaves nothing half-done and the next run redoes it; two runs at once
serialise on the unique index.

"New or re-enriched" is a watermark (``loop.watermark`` in workspace documents): feedback whose
``updated_at`` or enrichment ``enriched_at`` is later than the last run, minus a safety overlap
for transactions that committed late (re-evaluating those is harmless: the matches exist).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, bindparam, cast, func, insert, or_, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType, TypeDecorator

from cxloop.loop.routing import Router
from cxloop.loop.rules import CompiledRule, compiled_rules
from cxloop.loop.sla import due_dates
from cxloop.people.teams import find_team
from cxloop.people.users import find_user
from cxloop.storage.models.core import Customer, Feedback, Source, WorkspaceDocument
from cxloop.storage.models.loop import Case, CaseEvent, FeedbackTag, RuleMatch
from cxloop.storage.models.people import Team
from cxloop.storage.models.text import Enrichment, FeedbackTheme, Theme
from cxloop.storage.types import utcnow

WATERMARK_KEY = "loop.watermark"
OVERLAP = timedelta(minutes=5)
CHUNK = 5000

#: Frame column -> SQL expression. Journey stage and touchpoint fall back to the enrichment's.
_COLUMNS: dict[str, Any] = {
    "id": Feedback.id,
    "source": Source.name,
    "channel": Feedback.channel,
    "received_at": Feedback.received_at,
    "title": Feedback.title,
    "text": Feedback.text,
    "language": func.coalesce(Feedback.language, Enrichment.language),
    "nps": Feedback.nps,
    "csat": Feedback.csat,
    "ces": Feedback.ces,
    "rating": Feedback.rating,
    "journey_stage": func.coalesce(Feedback.journey_stage, Enrichment.journey_stage),
    "touchpoint": func.coalesce(Feedback.touchpoint, Enrichment.touchpoint),
    "customer_ref": Feedback.customer_ref,
    "customer_id": Feedback.customer_id,
    "extra": Feedback.extra,
    "segment": Customer.segment,
    "region": Customer.region,
    "revenue": Customer.revenue,
    "customer_status": Customer.status,
    "signup_at": Customer.signup_at,
    "enriched": Enrichment.feedback_id,
    "sentiment": Enrichment.sentiment_label,
    "sentiment_score": Enrichment.sentiment_score,
    "effort": Enrichment.effort,
    "urgency": Enrichment.urgency,
    "churn_risk": Enrichment.churn_risk,
    "signals": Enrichment.signals,
    "redacted_text": Enrichment.redacted_text,
}

#: Columns every run reads: routing, case creation and notifications need them.
_ALWAYS = ("id", "customer_id", "channel", "journey_stage", "touchpoint", "segment", "region")
#: Columns the actions read from a matched row (routing, case, notification).
_RECORD_COLUMNS = (
    *_ALWAYS,
    "themes",
    "nps",
    "csat",
    "sentiment",
    "redacted_text",
)
#: Columns a notification quotes (the excerpt is the redacted text, never the raw text).
_NOTIFY_COLUMNS = ("nps", "csat", "sentiment", "redacted_text")


@dataclass
class Scope:
    """Which feedback a run looks at: all, changed after a watermark, since a date, or ids."""

    changed_after: datetime | None = None
    received_since: datetime | None = None
    feedback_ids: Sequence[int] | None = None

    def conditions(self) -> list[Any]:
        conds: list[Any] = []
        if self.changed_after is not None:
            conds.append(
                or_(
                    Feedback.updated_at > self.changed_after,
                    Enrichment.enriched_at > self.changed_after,
                )
            )
        if self.received_since is not None:
            conds.append(Feedback.received_at >= self.received_since)
        if self.feedback_ids is not None:
            conds.append(Feedback.id.in_(list(self.feedback_ids)))
        return conds


def load_frame(session: Session, scope: Scope, columns: Iterable[str]) -> pd.DataFrame:
    """The feedback in ``scope`` as the rules see it (one row per feedback item)."""
    wanted = set(columns) | set(_ALWAYS)
    sql_cols = [c for c in _COLUMNS if c in wanted or (c == "enriched" and "enriched" in wanted)]
    query = select(*(_raw(_COLUMNS[c]).label(c) for c in sql_cols)).select_from(Feedback)
    if "source" in wanted:
        query = query.join(Source, Source.id == Feedback.source_id)
    query = (
        query.outerjoin(Customer, Customer.id == Feedback.customer_id)
        .outerjoin(Enrichment, Enrichment.feedback_id == Feedback.id)
        .where(*scope.conditions())
        .order_by(Feedback.id)
    )
    rows = session.connection().execute(query).all()  # Core rows: no ORM overhead
    frame = pd.DataFrame.from_records(rows, columns=sql_cols)
    if "enriched" in frame:
        frame["enriched"] = frame["enriched"].notna()
    for column in ("received_at", "signup_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce", format="mixed")
    if "extra" in frame:
        frame["extra"] = frame["extra"].map(_json_dict)
    if "signals" in frame:
        frame["signals"] = frame["signals"].map(_json_list)
    _add_themes(session, scope, frame, wanted)
    if "first_feedback" in wanted:
        frame["first_feedback"] = _first_feedback(session, scope, frame)
    return frame


class _Processed(TypeDecorator[Any]):
    """A value that already went through its column type's bind processing."""

    impl = NullType
    cache_ok = True


def _same_time(session: Session, model: Any, when: datetime, *names: str) -> dict[str, Any]:
    """``column=literal`` for timestamps every row of a bulk insert shares.

    The value goes through the column type's bind processing once (UTC normalisation, the
    SQLite text format) and is then sent as one untyped parameter, instead of being processed
    again for each of tens of thousands of rows.
    """
    dialect = session.get_bind().dialect
    out: dict[str, Any] = {}
    for name in names:
        column = model.__table__.c[name]
        process = column.type._cached_bind_processor(dialect)
        value = process(when) if process else when
        out[name] = type_coerce(bindparam(f"same_{name}", value=value), _Processed())
    return out


def _raw(column: Any) -> Any:
    """The column without SQLAlchemy's per-value result processing (decoded in bulk instead).

    Timestamps, JSON and booleans come back as the driver gives them (text and integers on
    SQLite, native objects on PostgreSQL); ``load_frame`` converts whole columns at once, which
    is several times faster than converting 100,000 values one by one.
    """
    return type_coerce(column, NullType())


def _json_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value not in ("", "{}", "null"):
        parsed = json.loads(value)
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value not in ("", "[]", "null"):
        parsed = json.loads(value)
        return parsed if isinstance(parsed, list) else []
    return []


def _add_themes(session: Session, scope: Scope, frame: pd.DataFrame, wanted: set[str]) -> None:
    """Theme names per item (always: routing reads them) and the per-theme columns rules use."""
    names: dict[int, list[str]] = defaultdict(list)
    labels: dict[int, dict[str, str]] = defaultdict(dict)
    scores: dict[int, dict[str, float]] = defaultdict(dict)
    need_labels = bool(wanted & {"theme_sentiments", "negative_themes", "positive_themes"})
    need_scores = "theme_scores" in wanted
    if len(frame):
        theme_rows = session.connection().execute(select(Theme.id, Theme.name))
        theme_names = dict(theme_rows.tuples().all())
        query = select(
            FeedbackTheme.feedback_id,
            FeedbackTheme.theme_id,
            FeedbackTheme.sentiment_label,
            FeedbackTheme.sentiment_score,
        )
        in_frame: set[int] | None = None
        if scope.conditions():
            ids_list = [int(i) for i in frame["id"]]
            if len(ids_list) <= CHUNK:
                query = query.where(FeedbackTheme.feedback_id.in_(ids_list))
            else:  # one scan beats a big IN list or SQLite's plan for the scope subquery
                in_frame = set(ids_list)
        for fid, tid, label, score in session.connection().execute(query):
            if in_frame is not None and fid not in in_frame:
                continue
            name = theme_names[tid]
            names[fid].append(name)
            if need_labels:
                labels[fid][name] = label
            if need_scores:
                scores[fid][name] = score
    ids = frame["id"].tolist() if len(frame) else []
    empty: list[str] = []
    frame["themes"] = [names.get(i, empty) for i in ids]
    if "theme_sentiments" in wanted:
        frame["theme_sentiments"] = [labels.get(i, {}) for i in ids]
    if need_scores:
        frame["theme_scores"] = [scores.get(i, {}) for i in ids]
    for column, label in (("negative_themes", "negative"), ("positive_themes", "positive")):
        if column in wanted:
            frame[column] = [
                [n for n, lab in labels[i].items() if lab == label] if i in labels else empty
                for i in ids
            ]


def _first_feedback(session: Session, scope: Scope, frame: pd.DataFrame) -> np.ndarray:
    """True where the item is the customer's earliest feedback (across all feedback)."""
    if not len(frame):
        return np.zeros(0, dtype=bool)
    key = func.coalesce(Feedback.customer_ref, cast(Feedback.customer_id, String))
    ranked_query = select(
        Feedback.id.label("id"),
        func.row_number()
        .over(
            partition_by=key,
            order_by=(func.coalesce(Feedback.received_at, Feedback.created_at), Feedback.id),
        )
        .label("rn"),
    ).where(key.is_not(None))
    if scope.feedback_ids is not None:  # a few items: rank only their customers' feedback
        keys = select(key).where(Feedback.id.in_(list(scope.feedback_ids)))
        ranked_query = ranked_query.where(key.in_(keys))
    ranked = ranked_query.subquery()
    firsts = set(session.connection().scalars(select(ranked.c.id).where(ranked.c.rn == 1)))
    return frame["id"].isin(firsts).to_numpy()


def _insert(session: Session, model: Any) -> Any:
    """Core INSERT ... ON CONFLICT DO NOTHING on the model's table, for the session's dialect.

    Core (not ORM bulk) statements on ``session.connection()``: same transaction, a fraction of
    the per-row cost, which matters when one run opens thousands of cases.
    """
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model.__table__).on_conflict_do_nothing()


@dataclass
class RuleOutcome:
    rule: str
    matched: int = 0
    new_matches: int = 0
    cases_opened: int = 0
    notifications: int = 0
    tagged: int = 0


@dataclass
class RunResult:
    evaluated: int
    scope: str
    rules: list[RuleOutcome] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def cases_opened(self) -> int:
        return sum(r.cases_opened for r in self.rules)


def get_watermark(session: Session) -> datetime | None:
    doc = session.get(WorkspaceDocument, WATERMARK_KEY)
    if doc is None or not isinstance(doc.value, dict) or not doc.value.get("at"):
        return None
    return datetime.fromisoformat(doc.value["at"])


def _set_watermark(session: Session, at: datetime) -> None:
    doc = session.get(WorkspaceDocument, WATERMARK_KEY)
    value = {"at": at.astimezone(UTC).isoformat()}
    if doc is None:
        session.add(WorkspaceDocument(key=WATERMARK_KEY, value=value))
    else:
        doc.value = value
    session.flush()


def _max_change(session: Session) -> datetime | None:
    """The latest change visible now; the next run starts from here (minus the overlap)."""
    a = session.scalar(select(func.max(Feedback.updated_at)))
    b = session.scalar(select(func.max(Enrichment.enriched_at)))
    values = [v for v in (a, b) if v is not None]
    if not values:
        return None
    return max(v if v.tzinfo else v.replace(tzinfo=UTC) for v in values)


def run_rules(
    session: Session,
    *,
    everything: bool = False,
    feedback_ids: Sequence[int] | None = None,
    rule_names: Sequence[str] | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Evaluate the enabled rules (or ``rule_names``) and act on new matches.

    Default scope: feedback new or re-enriched since the last run. ``everything`` looks at all
    feedback; ``feedback_ids`` at exactly those (the hook ingestion and enrichment call).
    """
    t0 = time.perf_counter()
    now = now or utcnow()
    rules = compiled_rules(session, rule_names)
    if feedback_ids is not None:
        scope, label = Scope(feedback_ids=feedback_ids), f"{len(feedback_ids)} given items"
    elif everything:
        scope, label = Scope(), "all feedback"
    else:
        mark = get_watermark(session)
        scope = Scope(changed_after=mark - OVERLAP if mark else None)
        label = (
            f"changed since {mark:%Y-%m-%d %H:%M:%S} UTC" if mark else "all feedback (first run)"
        )
    high_mark = _max_change(session) if feedback_ids is None else None
    columns: set[str] = set()
    for r in rules:
        columns |= r.expression.columns
        if r.spec.then.notify:
            columns |= set(_NOTIFY_COLUMNS)
    frame = load_frame(session, scope, columns) if rules else pd.DataFrame({"id": []})
    result = RunResult(evaluated=len(frame), scope=label)
    result.seconds["load"] = time.perf_counter() - t0
    router = Router.load(session) if rules else None
    t1 = time.perf_counter()
    for rule in rules:
        if progress:
            progress(rule.name)
        outcome = RuleOutcome(rule.name)
        with _timed(result.seconds, "evaluate"):
            mask = rule.expression.evaluate(frame)
        outcome.matched = int(mask.sum())
        if outcome.matched:
            _act(session, rule, frame.loc[mask], outcome, router, now, result.seconds)  # type: ignore[arg-type]
        result.rules.append(outcome)
    result.seconds["evaluate_and_act"] = time.perf_counter() - t1
    if feedback_ids is None and not rule_names and high_mark is not None:
        # only a run of every enabled rule moves the mark; a one-rule run must not hide
        # new feedback from the other rules
        _set_watermark(session, high_mark)
    session.flush()
    result.seconds["total"] = time.perf_counter() - t0
    return result


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _act(
    session: Session,
    rule: CompiledRule,
    matched: pd.DataFrame,
    outcome: RuleOutcome,
    router: Router,
    now: datetime,
    seconds: dict[str, float],
) -> None:
    rule_id = rule.rule.id
    new: dict[int, int] = {}  # feedback id -> match id
    with _timed(seconds, "record_matches"):
        known = set(
            session.connection().scalars(
                select(RuleMatch.__table__.c.feedback_id).where(
                    RuleMatch.__table__.c.rule_id == rule_id
                )
            )
        )
        ids = [int(i) for i in matched["id"] if int(i) not in known]
        _record_matches(session, rule_id, ids, now, new)
    outcome.new_matches = len(new)
    if not new:
        return
    fresh = matched.loc[matched["id"].isin(list(new)), [c for c in _RECORD_COLUMNS if c in matched]]
    columns = list(fresh.columns)  # .tolist() gives native values, much faster than to_dict
    records = [
        dict(zip(columns, row, strict=True))
        for row in zip(*(fresh[c].tolist() for c in columns), strict=True)
    ]
    actions = rule.spec.then
    case_ids: dict[int, int] = {}
    if actions.open_case is not None:
        with _timed(seconds, "open_cases"):
            case_ids = _open_cases(session, rule, records, new, router, now)
        outcome.cases_opened = len(case_ids)
    if actions.tag:
        with _timed(seconds, "tag"):
            _tag(session, rule_id, records, actions.tag, now)
        outcome.tagged = len(records)
    if actions.notify:
        with _timed(seconds, "notify (outbox.enqueue)"):
            outcome.notifications = _notify(session, rule, records, case_ids)


def _record_matches(
    session: Session, rule_id: int, ids: Sequence[int], now: datetime, new: dict[int, int]
) -> None:
    """Insert match rows; only those this transaction inserted come back (exactly once)."""
    for chunk in _chunks(ids):
        table = RuleMatch.__table__.c
        stmt = (
            _insert(session, RuleMatch)
            .values(**_same_time(session, RuleMatch, now, "matched_at"))
            .returning(table.id, table.feedback_id)
        )
        rows = (
            session.connection()
            .execute(stmt, [{"rule_id": rule_id, "feedback_id": f} for f in chunk])
            .all()
        )
        new.update({int(fid): int(mid) for mid, fid in rows})


def _tag(
    session: Session, rule_id: int, records: list[dict[str, Any]], tags: list[str], now: datetime
) -> None:
    rows = [
        {"feedback_id": int(r["id"]), "tag": t, "rule_id": rule_id} for r in records for t in tags
    ]
    for chunk in _chunks(rows):
        stmt = _insert(session, FeedbackTag).values(
            **_same_time(session, FeedbackTag, now, "created_at")
        )
        session.connection().execute(stmt, list(chunk))


def _notify(
    session: Session, rule: CompiledRule, records: list[dict[str, Any]], case_ids: dict[int, int]
) -> int:
    """Queue one message per target per new match, in this transaction (durable outbox).

    Uses ``outbox.enqueue_many(session, messages)`` when the outbox offers it (one round trip
    per batch), else ``outbox.enqueue`` per message; both are idempotent by key.
    """
    from cxloop.loop import outbox

    messages: list[dict[str, Any]] = []
    for r in records:
        fid = int(r["id"])
        case_id = case_ids.get(fid)
        payload = _notification(rule, r, f"CX-{case_id:06d}" if case_id else None)
        for target in rule.spec.then.notify:
            channel, _, address = target.partition(":")
            messages.append(
                {
                    "channel": channel,
                    "target": address,
                    "payload": payload,
                    "idempotency_key": f"rule:{rule.rule.id}:feedback:{fid}:{target}",
                    "case_id": case_id,
                }
            )
    bulk = getattr(outbox, "enqueue_many", None)
    if bulk is not None:
        bulk(session, messages)
    else:
        for message in messages:
            outbox.enqueue(session, **message)
    return len(messages)


@contextmanager
def _timed(seconds: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - start


def _open_cases(
    session: Session,
    rule: CompiledRule,
    records: list[dict[str, Any]],
    new: dict[int, int],
    router: Router,
    now: datetime,
) -> dict[int, int]:
    """Insert the cases (and their 'created' events); returns feedback id -> case id."""
    action = rule.spec.then.open_case
    assert action is not None
    fixed_team = find_team(session, action.team) if action.team else None
    fixed_user = find_user(session, action.assignee) if action.assignee else None
    if fixed_user is not None and not fixed_user.active:
        fixed_user = None  # deactivated since the rule was imported: fall back to routing
    teams = {t.id: t for t in session.scalars(select(Team))}
    deadlines: dict[int | None, tuple[datetime | None, datetime | None]] = {}
    rows: list[dict[str, Any]] = []
    for r in records:
        route = router.route(r)
        team_id = fixed_team.id if fixed_team else route.team_id
        user_id = (
            fixed_user.id
            if fixed_user
            else (route.user_id if not fixed_team or route.team_id == team_id else None)
        )
        if team_id is None and fixed_user is not None:
            team_id = fixed_user.team_id
        if team_id not in deadlines:
            deadlines[team_id] = due_dates(
                now,
                teams.get(team_id) if team_id else None,
                first_response=action.sla_first_response,
                resolution=action.sla_resolution,
            )
        fr_due, res_due = deadlines[team_id]
        fid = int(r["id"])
        customer_id = r.get("customer_id")
        rows.append(
            {
                "feedback_id": fid,
                "rule_id": rule.rule.id,
                "customer_id": None if _blank(customer_id) else int(customer_id),  # type: ignore[arg-type]
                "title": (action.title or f"{rule.name}: feedback {fid}")[:300],
                "status": "new",
                "priority": action.priority,
                "team_id": team_id,
                "assignee_id": user_id,
                "tags": list(rule.spec.then.tag),
                "first_response_due_at": fr_due,
                "resolution_due_at": res_due,
                "_via": route.via,
            }
        )
    case_ids: dict[int, int] = {}
    for chunk in _chunks(rows):
        columns = Case.__table__.c
        stmt = (
            _insert(session, Case)
            .values(**_same_time(session, Case, now, "created_at", "updated_at"))
            .returning(columns.id, columns.feedback_id)
        )
        inserted = (
            session.connection()
            .execute(stmt, [{k: v for k, v in row.items() if k != "_via"} for row in chunk])
            .all()
        )
        case_ids.update({int(fid): int(cid) for cid, fid in inserted})
    if case_ids:
        session.connection().execute(
            update(RuleMatch.__table__)  # type: ignore[arg-type]
            .where(RuleMatch.__table__.c.id == _bind("mid"))
            .values(case_id=_bind("cid")),
            [{"mid": new[fid], "cid": cid} for fid, cid in case_ids.items()],
        )
        events = [
            {
                "case_id": case_ids[row["feedback_id"]],
                "actor": f"rule:{rule.name}",
                "kind": "created",
                "to_value": "new",
                "data": {
                    "rule": rule.name,
                    "feedback_id": row["feedback_id"],
                    "priority": row["priority"],
                    "team": teams[row["team_id"]].name if row["team_id"] in teams else None,
                    "routed_by": row["_via"] if not fixed_team else "rule",
                },
            }
            for row in rows
            if row["feedback_id"] in case_ids
        ]
        for chunk in _chunks(events):
            stmt = insert(CaseEvent.__table__).values(  # type: ignore[arg-type]
                **_same_time(session, CaseEvent, now, "at")
            )
            session.connection().execute(stmt, list(chunk))
    return case_ids


def _bind(name: str) -> Any:
    return bindparam(name)


def _notification(
    rule: CompiledRule, record: dict[str, Any], reference: str | None
) -> dict[str, Any]:
    """What a rule's e-mail or webhook says: facts and the redacted excerpt, never raw text."""
    fid = int(record["id"])
    facts = {
        k: record.get(k)
        for k in ("channel", "nps", "csat", "sentiment", "segment", "journey_stage")
        if k in record and not _blank(record.get(k))
    }
    themes = list(record.get("themes") or [])
    excerpt = record.get("redacted_text")
    head = f"[{reference}] " if reference else ""
    lines = [f"Rule {rule.name} caught feedback {fid}."]
    if reference:
        lines.append(f"Case {reference} was opened: cxloop cases show {reference}")
    lines += [f"{k}: {v}" for k, v in facts.items()]
    if themes:
        lines.append("themes: " + ", ".join(themes))
    if isinstance(excerpt, str) and excerpt:
        lines.append(f'"{excerpt[:280]}"')
    return {
        "event": "rule.matched",
        "subject": f"{head}{rule.name}: feedback {fid}",
        "text": "\n".join(lines),
        "rule": rule.name,
        "feedback_id": fid,
        "case_reference": reference,
        "themes": themes,
        **{k: (float(v) if isinstance(v, float | np.floating) else v) for k, v in facts.items()},
    }


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


@dataclass
class RulePreview:
    rule: str
    evaluated: int
    matched: int
    already_matched: int
    rows: list[dict[str, Any]]


def preview_rule(
    session: Session, rule: CompiledRule, *, since: datetime | None, limit: int = 50
) -> RulePreview:
    """What ``rule`` would catch among feedback received since ``since`` — writes nothing."""
    frame = load_frame(session, Scope(received_since=since), rule.expression.columns)
    mask = rule.expression.evaluate(frame)
    hits = frame.loc[mask]
    ids = [int(i) for i in hits["id"]]
    seen: set[int] = set()
    if rule.rule.id is not None:
        for chunk in _chunks(ids):
            seen |= set(
                session.scalars(
                    select(RuleMatch.feedback_id).where(
                        RuleMatch.rule_id == rule.rule.id, RuleMatch.feedback_id.in_(list(chunk))
                    )
                )
            )
    show = [c for c in ("id", "received_at", "channel", "nps", "sentiment", "segment") if c in hits]
    rows = []
    for rec in hits.head(limit).to_dict("records"):
        row = {c: (None if _blank(rec.get(c)) else rec.get(c)) for c in show}
        row["themes"] = ", ".join(rec.get("themes") or [])
        row["already_matched"] = int(rec["id"]) in seen
        rows.append(row)
    return RulePreview(rule.name, len(frame), len(ids), len(seen), rows)


AUTO_RUN_KEY = "loop.auto_run"


def auto_run_enabled(session: Session) -> bool:
    doc = session.get(WorkspaceDocument, AUTO_RUN_KEY)
    return bool(doc is not None and doc.value)


def set_auto_run(session: Session, enabled: bool) -> None:
    """Switch on/off evaluating rules right after ingestion and enrichment."""
    doc = session.get(WorkspaceDocument, AUTO_RUN_KEY)
    if doc is None:
        session.add(WorkspaceDocument(key=AUTO_RUN_KEY, value=enabled))
    else:
        doc.value = enabled
    session.flush()


def run_rules_if_enabled(session: Session, feedback_ids: Sequence[int]) -> RunResult | None:
    """The hook ingestion and enrichment call with the ids they stored or re-enriched.

    Does nothing unless ``cxloop loop auto --on`` was set; runs in the caller's transaction, so
    the matches, cases and notifications commit together with the data that caused them.
    """
    if not feedback_ids or not auto_run_enabled(session):
        return None
    return run_rules(session, feedback_ids=feedback_ids)
