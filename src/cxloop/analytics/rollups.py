"""Keep the analytics roll-ups current: build them once, then refresh only what changed.

The roll-ups (tables in :mod:`cxloop.storage.models.analytics`) hold per-day sufficient
statistics and per-customer summaries. They are derived data and must never give a stale
answer, so every analysis calls :func:`ensure_fresh` first:

* not built yet (a new workspace, or one upgraded to migration 0008) -> build from scratch;
* the change log has days or customers in it, or (SQLite) feedback ids above the watermark
  -> recompute exactly those days and customers, nothing else;
* otherwise -> nothing to do (three indexed look-ups, about a millisecond).

The change log is written by database triggers, so ingestion, enrichment, corrections,
erasure and any other writer are covered without calling this module. A refresh recomputes a
day from the source rows with the same expressions as the exact queries of
:mod:`cxloop.analytics.data` (``INSERT ... SELECT`` inside the database, nothing travels to
Python), so a refreshed day equals a freshly built one. It runs in one transaction that first
takes the write lock (SQLite) or locks the state row (PostgreSQL): two analyses never refresh
at once, and a change committed meanwhile stays in the log for the next refresh.

A full build on SQLite is staged instead: SQLite has one writer at a time, and a build in
one transaction (25 s per million rows, more on a slow disk) made an ingest running meanwhile
wait for all of it, or fail on its 30-second busy timeout. The roll-ups are computed into
temporary tables of the builder's own connection inside a read transaction (in WAL mode
readers never block writers), then copied into place in one short write transaction. While a
build is under way (``building_at`` recent) other processes answer from the source rows;
changes committed meanwhile are in the change log or above the watermark, so the next refresh
applies them. PostgreSQL's readers and writers do not block each other, so it builds in one
transaction.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    MetaData,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.sql.elements import ColumnElement

from cxloop.analytics.data import FEEDBACK_FIELDS, FT, C, E, F, day_expr, stat_exprs
from cxloop.storage.models.analytics import (
    CustomerDaily,
    CustomerNps,
    CustomerTheme,
    DirtyCustomer,
    DirtyDay,
    FeedbackDaily,
    RollupState,
    ThemeCustomerDaily,
    ThemeDaily,
    ThemeGroupDaily,
)

FD: Table = FeedbackDaily.__table__  # type: ignore[assignment]
CD: Table = CustomerDaily.__table__  # type: ignore[assignment]
TD: Table = ThemeDaily.__table__  # type: ignore[assignment]
TC: Table = ThemeCustomerDaily.__table__  # type: ignore[assignment]
TG: Table = ThemeGroupDaily.__table__  # type: ignore[assignment]
CT: Table = CustomerTheme.__table__  # type: ignore[assignment]
CN: Table = CustomerNps.__table__  # type: ignore[assignment]
DD: Table = DirtyDay.__table__  # type: ignore[assignment]
DC: Table = DirtyCustomer.__table__  # type: ignore[assignment]
STATE: Table = RollupState.__table__  # type: ignore[assignment]

#: Grouping fields with a theme-mention roll-up of their own (segments, anomalies); segment
#: and region come from ``analytics_theme_customer_daily``.
THEME_GROUP_DIMS: dict[str, ColumnElement[Any]] = {"channel": F.c.channel}
#: Beyond this many separate day ranges (or this share of all days), rebuild instead.
MAX_DAY_RANGES = 60
#: Customers recomputed per statement, and beyond how many the summaries are rebuilt.
CUSTOMER_CHUNK = 500
MAX_DIRTY_CUSTOMERS = 20_000
#: SQLite workspaces with more feedback rows than this build in staging tables (smaller ones
#: build in one transaction of under a second).
STAGED_BUILD_ROWS = 50_000
#: A staged build with no progress for this long has died; the next analysis starts again.
#: (Only a killed process leaves a build marked: an error or Ctrl-C unmarks it at once.)
#: (A thread of the builder marks it alive every :data:`HEARTBEAT_EVERY` seconds, so one slow
#: statement on a very large workspace is not mistaken for a dead build.)
STALE_BUILD = timedelta(minutes=5)
HEARTBEAT_EVERY = 30.0

#: ``progress(done, total)`` when a staged build starts (done = 0), then after each step.
Progress = Callable[[int, int], None]


def _now() -> datetime:
    return datetime.now(UTC)


# --- checking -------------------------------------------------------------------------------


def state(engine: Engine) -> dict[str, Any] | None:
    """The roll-up state and pending changes, or None when the schema has no roll-ups."""
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(STATE.c.built_at, STATE.c.feedback_watermark, STATE.c.building_at).where(
                    STATE.c.id == 1
                )
            ).one_or_none()
            if row is None:
                return None
            dirty_days = conn.execute(select(DD.c.day).limit(1)).first() is not None
            dirty_customers = conn.execute(select(DC.c.customer_id).limit(1)).first() is not None
            top = (
                conn.execute(select(func.max(F.c.id))).scalar()
                if engine.dialect.name == "sqlite"
                else None
            )
    except (OperationalError, ProgrammingError):
        return None
    return {
        "built": row.built_at is not None,
        "watermark": int(row.feedback_watermark or 0),
        "max_feedback_id": int(top or 0),
        "dirty": dirty_days or dirty_customers,
        "building": _building(row.building_at),
    }


def _building(building_at: datetime | None) -> bool:
    """Whether a staged build is under way (its last step is recent)."""
    if building_at is None:
        return False
    if building_at.tzinfo is None:
        building_at = building_at.replace(tzinfo=UTC)
    return _now() - building_at < STALE_BUILD


def ensure_fresh(engine: Engine) -> bool:
    """Bring the roll-ups up to date; False when this database has none (use exact queries)."""
    st = state(engine)
    if st is None or st["building"]:
        return False  # no roll-ups, or another process is building them: use the rows
    if st["built"] and not st["dirty"] and st["max_feedback_id"] <= st["watermark"]:
        return True
    return bool(refresh(engine).get("built", True))  # False: another process is building


def data_version(engine: Engine) -> Any:
    """A value that changes whenever data behind any analysis changes (after applying the
    pending changes), for result caches such as the web app's: every change the triggers
    record leads to a refresh, and every refresh stamps the state row. None when this
    database has no roll-ups (callers then need their own marker)."""
    if not ensure_fresh(engine):
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(STATE.c.built_at, STATE.c.refreshed_at, STATE.c.feedback_watermark).where(
                STATE.c.id == 1
            )
        ).one()
    return (str(row.built_at), str(row.refreshed_at), int(row.feedback_watermark or 0))


# --- refreshing -----------------------------------------------------------------------------


def _lock(conn: Connection) -> tuple[bool, int, bool]:
    """Take the refresh lock first thing in the transaction; returns (built, watermark,
    whether a staged build is under way in another process)."""
    if conn.dialect.name == "sqlite":
        # A write as the first statement takes SQLite's write lock together with the read
        # snapshot, so no other writer can commit while this refresh reads and writes.
        # (a no-op write: the version stamps only change when a refresh does something)
        conn.execute(
            update(STATE)
            .where(STATE.c.id == 1)
            .values(feedback_watermark=STATE.c.feedback_watermark)
        )
        row = conn.execute(
            select(STATE.c.built_at, STATE.c.feedback_watermark, STATE.c.building_at).where(
                STATE.c.id == 1
            )
        ).one()
    else:
        row = conn.execute(
            select(STATE.c.built_at, STATE.c.feedback_watermark, STATE.c.building_at)
            .where(STATE.c.id == 1)
            .with_for_update()
        ).one()
    return row.built_at is not None, int(row.feedback_watermark or 0), _building(row.building_at)


def refresh(
    engine: Engine, *, full: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Apply pending changes (or rebuild everything with ``full``); returns what was done.

    ``{"built": False, ...}`` when another process is building the roll-ups (the caller
    answers from the rows meanwhile)."""
    with engine.begin() as conn:
        built, watermark, building = _lock(conn)
        if building:
            return {"built": False, "building_elsewhere": True}
        top = int(conn.execute(select(func.max(F.c.id))).scalar() or 0)
        sqlite = conn.dialect.name == "sqlite"
        days = {r[0] for r in conn.execute(delete(DD).returning(DD.c.day))}
        customers = {int(r[0]) for r in conn.execute(delete(DC).returning(DC.c.customer_id))}
        if built and not full and not days and not customers and top <= watermark:
            # Another process refreshed while this one waited for the lock: nothing to do,
            # and the version stamps stay as they are (result caches keep their entries).
            return {"rebuilt_days": False, "days": 0, "rebuilt_customers": False, "customers": 0}
        if sqlite and top > watermark and built and not full:
            new = F.c.id > watermark
            days |= {r[0] or "" for r in conn.execute(select(day_expr()).where(new).distinct())}
            customers |= {
                int(r[0])
                for r in conn.execute(
                    select(F.c.customer_id).where(new, F.c.customer_id.is_not(None)).distinct()
                )
            }
        ranges = day_ranges(days)
        rebuild_days = full or not built or len(ranges) > MAX_DAY_RANGES
        rebuild_customers = full or not built or len(customers) > MAX_DIRTY_CUSTOMERS
        # A small workspace builds in this one transaction: no window in which other
        # processes see the roll-ups as under construction.
        staged = sqlite and (rebuild_days or rebuild_customers) and top > STAGED_BUILD_ROWS
        if staged:
            _start_staged_build(conn, top)
        else:
            if rebuild_days:
                _rebuild_days(conn)
            elif ranges:
                _refresh_days(conn, ranges)
            if rebuild_customers:
                _rebuild_customers(conn)
            elif customers:
                _refresh_customers(conn, sorted(customers))
            values: dict[str, Any] = {"feedback_watermark": top, "refreshed_at": _now()}
            if not built or full:
                values["built_at"] = _now()
            conn.execute(update(STATE).where(STATE.c.id == 1).values(**values))
    if staged:
        _build_staged(engine, progress)
        rebuild_days = rebuild_customers = True
    return {
        "rebuilt_days": rebuild_days,
        "days": "all" if rebuild_days else len(days),
        "rebuilt_customers": rebuild_customers,
        "customers": "all" if rebuild_customers else len(customers),
    }


def _start_staged_build(conn: Connection, top: int) -> None:
    """First step (in the locked transaction): empty the roll-ups and mark the build.

    The watermark is set to the top feedback id now; rows inserted later are above it and
    are applied by the next refresh, and the delete trigger still lowers it if the top rows
    are deleted during the build (SQLite may then reuse their ids)."""
    for table in (*ROLLUP_TABLES, CT, CN):
        conn.execute(delete(table))
    conn.execute(
        update(STATE)
        .where(STATE.c.id == 1)
        .values(built_at=None, building_at=_now(), feedback_watermark=top)
    )


def _mark_alive(engine: Engine) -> None:
    """Stamp the build as alive, on a connection of its own (the builder's connection holds a
    read snapshot, which must not turn into a write)."""
    with engine.begin() as conn:
        conn.execute(update(STATE).where(STATE.c.id == 1).values(building_at=_now()))


def _abandon_build(engine: Engine) -> None:
    """Unmark a build that failed or was interrupted (an error, Ctrl-C), so the next analysis
    starts it again at once instead of waiting :data:`STALE_BUILD` for a dead builder. The
    roll-ups stay unbuilt (``built_at`` is empty), so nothing reads the half-done tables.
    Only a process killed outright leaves the mark, which then goes stale."""
    with contextlib.suppress(DBAPIError), engine.begin() as conn:  # e.g. the disk is full
        conn.execute(update(STATE).where(STATE.c.id == 1).values(building_at=None))


def _staging(table: Table) -> Table:
    """A temporary table of the builder's connection with ``table``'s columns."""
    return Table(
        f"staging_{table.name}",
        MetaData(),
        *(Column(c.name, c.type) for c in table.columns),
        prefixes=["TEMPORARY"],
    )


def _build_staged(engine: Engine, progress: Progress | None) -> None:
    """Compute every roll-up into temporary tables while holding only a read snapshot, then
    copy them into place in one write transaction (0.6 s per million feedback rows)."""
    tables = (*ROLLUP_TABLES, CT, CN)
    staging = {t: _staging(t) for t in tables}
    total = 8  # five day roll-ups, two customer summaries, the copy
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        _mark_alive(engine)
        if progress:
            progress(done, total)

    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT_EVERY):
            with contextlib.suppress(DBAPIError):  # busy: the next beat tries again
                _mark_alive(engine)

    beating = threading.Thread(target=heartbeat, daemon=True, name="cxloop-rollup-heartbeat")

    def stop_beating() -> None:  # before the copy: no beat may land after the last write
        stop.set()
        if beating.is_alive():
            beating.join()

    finished = False
    beating.start()
    with engine.connect() as conn:
        # Staging goes to a temporary file, not memory: ~640,000 rows per million feedback.
        conn.exec_driver_sql("PRAGMA temp_store=FILE")
        try:
            if progress:
                progress(done, total)
            for table in staging.values():
                table.create(conn)
            conn.commit()
            _fill_days(conn, None, into=staging, after=step)
            _fill_customers(conn, None, into=staging, after=step)
            conn.commit()  # ends the read snapshot; only temporary tables were written
            stop_beating()
            conn.execute(update(STATE).where(STATE.c.id == 1).values(building_at=_now()))
            for table, staged in staging.items():
                conn.execute(delete(table))
                cols = [c.name for c in table.columns]
                conn.execute(insert(table).from_select(cols, select(*staged.c)))
            now = _now()
            conn.execute(
                update(STATE)
                .where(STATE.c.id == 1)
                .values(built_at=now, refreshed_at=now, building_at=None)
            )
            conn.commit()
            finished = True
        finally:
            stop_beating()
            conn.rollback()
            if not finished:
                _abandon_build(engine)
            for table in staging.values():
                table.drop(conn, checkfirst=True)
            conn.commit()
            conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
    done += 1
    if progress:
        progress(done, total)


def day_ranges(days: Iterable[str]) -> list[tuple[date | None, date | None]]:
    """Contiguous ``(first, last)`` day ranges; ``(None, None)`` stands for undated feedback."""
    out: list[tuple[date | None, date | None]] = []
    dated = sorted(date.fromisoformat(d) for d in days if d)
    if any(not d for d in days):
        out.append((None, None))
    for d in dated:
        last = out[-1] if out else None
        if last is not None and last[1] is not None and d - last[1] <= timedelta(days=1):
            out[-1] = (last[0], d)
        else:
            out.append((d, d))
    return out


def _received_in(ranges: Sequence[tuple[date | None, date | None]]) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    for lo, hi in ranges:
        if lo is None or hi is None:
            parts.append(F.c.received_at.is_(None))
            continue
        start = datetime.combine(lo, time(), UTC)
        end = datetime.combine(hi + timedelta(days=1), time(), UTC)
        parts.append(and_(F.c.received_at >= start, F.c.received_at < end))
    return or_(*parts)


def _day_in(column: Any, ranges: Sequence[tuple[date | None, date | None]]) -> Any:
    parts: list[ColumnElement[bool]] = []
    for lo, hi in ranges:
        if lo is None or hi is None:
            parts.append(column.is_(None))
        else:
            parts.append(and_(column >= lo.isoformat(), column <= hi.isoformat()))
    return or_(*parts)


ROLLUP_TABLES = (FD, CD, TD, TC, TG)


def _rebuild_days(conn: Connection) -> None:
    for table in ROLLUP_TABLES:
        conn.execute(delete(table))
    _fill_days(conn, None)


def _refresh_days(conn: Connection, ranges: list[tuple[date | None, date | None]]) -> None:
    for table in ROLLUP_TABLES:
        conn.execute(delete(table).where(_day_in(table.c.day, ranges)))
    _fill_days(conn, _received_in(ranges))


def _stat_columns() -> list[ColumnElement[Any]]:
    """The statistics with SUMs of no values as 0 (roll-up columns are NOT NULL)."""
    return [func.coalesce(e.element, 0.0).label(e.name) for e in stat_exprs()]  # type: ignore[attr-defined]


Staging = dict[Table, Table]


def _fill_days(
    conn: Connection,
    where: ColumnElement[bool] | None,
    *,
    into: Staging | None = None,
    after: Callable[[], None] | None = None,
) -> None:
    """INSERT ... SELECT each day roll-up for the feedback matching ``where`` (None: all),
    into the roll-up tables or their ``into`` stand-ins; ``after`` runs after each one."""
    day = day_expr().label("day")
    stage = FEEDBACK_FIELDS["journey_stage"].label("journey_stage")
    touchpoint = FEEDBACK_FIELDS["touchpoint"].label("touchpoint")
    base = F.outerjoin(E, E.c.feedback_id == F.c.id)

    def run(table: Any, stmt: Any) -> None:
        if where is not None:
            stmt = stmt.where(where)
        cols = [c.name for c in stmt.selected_columns]
        conn.execute(insert(into[table] if into else table).from_select(cols, stmt))
        if after:
            after()

    keys: list[Any] = [day, F.c.channel.label("channel"), stage, touchpoint]
    run(FD, select(*keys, *_stat_columns()).select_from(base).group_by(*keys))
    keys = [day, C.c.segment, C.c.region, C.c.status]
    src = base.outerjoin(C, C.c.id == F.c.customer_id)
    run(CD, select(*keys, *_stat_columns()).select_from(src).group_by(*keys))
    keys = [day, FT.c.theme_id, stage]
    aspect = [
        func.coalesce(func.sum(case((FT.c.sentiment_label == "negative", 1), else_=0)), 0).label(
            "negative"
        ),
        func.coalesce(func.sum(case((FT.c.sentiment_label == "positive", 1), else_=0)), 0).label(
            "positive"
        ),
        func.coalesce(func.sum(FT.c.sentiment_score), 0.0).label("aspect_sum"),
    ]
    src = base.join(FT, FT.c.feedback_id == F.c.id)
    run(TD, select(*keys, *_stat_columns(), *aspect).select_from(src).group_by(*keys))
    keys = [day, FT.c.theme_id, C.c.segment, C.c.region]
    src = src.outerjoin(C, C.c.id == F.c.customer_id)
    run(TC, select(*keys, *_stat_columns(), *aspect).select_from(src).group_by(*keys))
    for dim, column in THEME_GROUP_DIMS.items():
        src = F.join(FT, FT.c.feedback_id == F.c.id)
        if column.table is C:
            src = src.outerjoin(C, C.c.id == F.c.customer_id)
        value = column.label("value")
        stmt = (
            select(
                day,
                FT.c.theme_id,
                literal(dim).label("dim"),
                value,
                cast(func.count(), Float).label("mentions"),
            )
            .select_from(src)
            .group_by(day, FT.c.theme_id, value)
        )
        run(TG, stmt)


def _rebuild_customers(conn: Connection) -> None:
    conn.execute(delete(CT))
    conn.execute(delete(CN))
    _fill_customers(conn, None)


def _refresh_customers(conn: Connection, customers: list[int]) -> None:
    for i in range(0, len(customers), CUSTOMER_CHUNK):
        chunk = customers[i : i + CUSTOMER_CHUNK]
        conn.execute(delete(CT).where(CT.c.customer_id.in_(chunk)))
        conn.execute(delete(CN).where(CN.c.customer_id.in_(chunk)))
        _fill_customers(conn, F.c.customer_id.in_(chunk))


def _fill_customers(
    conn: Connection,
    where: ColumnElement[bool] | None,
    *,
    into: Staging | None = None,
    after: Callable[[], None] | None = None,
) -> None:
    """Per-customer theme mentions and NPS answers, as :func:`data.customer_theme_first` and
    :func:`data.customer_nps` compute them for the whole history."""
    negative = FT.c.sentiment_label == "negative"
    conds = [F.c.customer_id.is_not(None)] + ([where] if where is not None else [])
    themes = (
        select(
            F.c.customer_id,
            FT.c.theme_id,
            func.min(F.c.received_at).label("first_at"),
            func.count().label("mentions"),
            func.min(case((negative, F.c.received_at), else_=None)).label("first_negative_at"),
            func.coalesce(func.sum(case((negative, 1), else_=0)), 0).label("negative_mentions"),
        )
        .select_from(F.join(FT, FT.c.feedback_id == F.c.id))
        .where(*conds)
        .group_by(F.c.customer_id, FT.c.theme_id)
    )
    cols = [c.name for c in themes.selected_columns]
    conn.execute(insert(into[CT] if into else CT).from_select(cols, themes))
    if after:
        after()
    nps = (
        select(
            F.c.customer_id,
            func.min(F.c.received_at).label("first_feedback_at"),
            func.max(F.c.received_at).label("last_feedback_at"),
            func.count(F.c.nps).label("nps_n"),
            func.coalesce(func.sum(cast(F.c.nps, Float)), 0.0).label("nps_sum"),
            func.min(case((F.c.nps <= 6, F.c.received_at), else_=None)).label("first_detractor"),
        )
        .where(*conds)
        .group_by(F.c.customer_id)
    )
    cols = [c.name for c in nps.selected_columns]
    conn.execute(insert(into[CN] if into else CN).from_select(cols, nps))
    if after:
        after()


def rollup_sizes(engine: Engine) -> dict[str, int]:
    """Rows per roll-up table (for benchmarks and ``--format json`` diagnostics)."""
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in (*ROLLUP_TABLES, CT, CN)
        }


__all__ = ["data_version", "day_ranges", "ensure_fresh", "refresh", "rollup_sizes", "state"]
