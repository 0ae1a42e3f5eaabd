"""analytics: per-day roll-ups, per-customer summaries and the change log that keeps them fresh

Revision ID: 0008_analytics_rollups
Revises: 0007_delivery

Tables mirror ``cxloop.storage.models.analytics``. The triggers record the day and customer
of every change that can alter a roll-up (see that module): row triggers on SQLite; on
PostgreSQL statement triggers with transition tables for inserts and deletes (one INSERT ...
SELECT DISTINCT per statement, so a bulk load pays once, not once per row) and row triggers
with a WHEN condition for updates of the columns that matter. Feedback inserts on SQLite are found
by the id watermark instead of a trigger. The roll-ups start unbuilt; the first analysis
builds them.
"""

# ruff: noqa: S608 - trigger DDL assembled from the constant names below, no input in it

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxloop.storage.types

revision = "0008_analytics_rollups"
down_revision = "0007_delivery"
branch_labels = None
depends_on = None

STATS = (
    "n",
    "nps_n",
    "nps_pro",
    "nps_det",
    "csat_n",
    "csat_top",
    "ces_n",
    "ces_sum",
    "ces_sq",
    "rating_n",
    "rating_sum",
    "rating_sq",
    "sent_n",
    "sent_sum",
    "sent_sq",
)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: Feedback columns that feed a roll-up (an update of other columns changes nothing).
FEEDBACK_COLUMNS = (
    "received_at",
    "customer_id",
    "channel",
    "nps",
    "csat",
    "ces",
    "rating",
    "journey_stage",
    "touchpoint",
)
ENRICHMENT_COLUMNS = ("feedback_id", "sentiment_score", "journey_stage", "touchpoint")
THEME_COLUMNS = ("feedback_id", "theme_id", "sentiment_label", "sentiment_score")
CUSTOMER_COLUMNS = ("segment", "region", "status")


def _stat_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.Float(), nullable=False) for name in STATS]


def _daily(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=True),
        *columns,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _daily(
        "analytics_feedback_daily",
        sa.Column("channel", sa.String(length=60), nullable=True),
        sa.Column("journey_stage", sa.String(length=80), nullable=True),
        sa.Column("touchpoint", sa.String(length=120), nullable=True),
        *_stat_columns(),
    )
    op.create_index("ix_analytics_feedback_daily_day", "analytics_feedback_daily", ["day"])
    _daily(
        "analytics_customer_daily",
        sa.Column("segment", sa.String(length=120), nullable=True),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        *_stat_columns(),
    )
    op.create_index("ix_analytics_customer_daily_day", "analytics_customer_daily", ["day"])
    _daily(
        "analytics_theme_daily",
        sa.Column("theme_id", sa.BigInteger(), nullable=False),
        sa.Column("journey_stage", sa.String(length=80), nullable=True),
        *_stat_columns(),
        sa.Column("negative", sa.Float(), nullable=False),
        sa.Column("positive", sa.Float(), nullable=False),
        sa.Column("aspect_sum", sa.Float(), nullable=False),
    )
    op.create_index("ix_analytics_theme_daily_day", "analytics_theme_daily", ["day"])
    _daily(
        "analytics_theme_customer_daily",
        sa.Column("theme_id", sa.BigInteger(), nullable=False),
        sa.Column("segment", sa.String(length=120), nullable=True),
        sa.Column("region", sa.String(length=120), nullable=True),
        *_stat_columns(),
        sa.Column("negative", sa.Float(), nullable=False),
        sa.Column("positive", sa.Float(), nullable=False),
        sa.Column("aspect_sum", sa.Float(), nullable=False),
    )
    op.create_index(
        "ix_analytics_theme_customer_daily_day", "analytics_theme_customer_daily", ["day"]
    )
    _daily(
        "analytics_theme_group_daily",
        sa.Column("theme_id", sa.BigInteger(), nullable=False),
        sa.Column("dim", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=True),
        sa.Column("mentions", sa.Float(), nullable=False),
    )
    op.create_index(
        "ix_analytics_theme_group_daily_dim_day", "analytics_theme_group_daily", ["dim", "day"]
    )
    op.create_table(
        "analytics_customer_themes",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("theme_id", sa.BigInteger(), nullable=False),
        sa.Column("first_at", cxloop.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column(
            "first_negative_at", cxloop.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("negative_mentions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "customer_id", "theme_id", name=op.f("pk_analytics_customer_themes")
        ),
    )
    op.create_table(
        "analytics_customer_nps",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "first_feedback_at", cxloop.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_feedback_at", cxloop.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("nps_n", sa.Integer(), nullable=False),
        sa.Column("nps_sum", sa.Float(), nullable=False),
        sa.Column(
            "first_detractor", cxloop.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_analytics_customer_nps")),
    )
    op.create_table(
        "analytics_dirty_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_analytics_dirty_days")),
    )
    op.create_table(
        "analytics_dirty_customers",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_analytics_dirty_customers")),
    )
    state = op.create_table(
        "analytics_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("built_at", cxloop.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_watermark", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", cxloop.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_state")),
    )
    op.bulk_insert(state, [{"id": 1, "feedback_watermark": 0}])
    statements = (
        _sqlite_triggers() if op.get_bind().dialect.name == "sqlite" else _postgres_triggers()
    )
    for statement in statements:
        op.execute(statement)


# --- SQLite: row triggers -------------------------------------------------------------------

_SQLITE_DAY = "COALESCE(date({0}.received_at), '')"


def _sqlite_add(table: str, column: str, value: str, source: str = "") -> str:
    """Add the distinct non-null ``value``s (of ``source``) to the log ``table``.

    Not ``INSERT OR IGNORE``: when a trigger runs inside a foreign-key action (deleting a
    customer sets its feedback's customer_id to NULL) SQLite applies the outer statement's
    conflict handling and the IGNORE is lost; a NOT IN check never conflicts.
    """
    return (
        f"INSERT INTO {table}({column}) SELECT DISTINCT v FROM (SELECT {value} AS v {source}) "
        f"WHERE v IS NOT NULL AND v NOT IN (SELECT {column} FROM {table});\n"
    )


def _sqlite_mark_feedback(ref: str) -> str:
    """Mark the day and customer of feedback row ``ref`` (OLD or NEW)."""
    return _sqlite_add("analytics_dirty_days", "day", _SQLITE_DAY.format(ref)) + _sqlite_add(
        "analytics_dirty_customers", "customer_id", f"{ref}.customer_id"
    )


def _sqlite_mark_via_feedback(ref: str, customers: bool) -> str:
    """Mark the day (and customer) of the feedback that row ``ref`` belongs to."""
    source = f"FROM feedback f WHERE f.id = {ref}.feedback_id"
    out = _sqlite_add("analytics_dirty_days", "day", _SQLITE_DAY.format("f"), source)
    if customers:
        out += _sqlite_add("analytics_dirty_customers", "customer_id", "f.customer_id", source)
    return out


def _sqlite_triggers() -> list[str]:
    out = [
        "CREATE TRIGGER analytics_feedback_update AFTER UPDATE OF "
        f"{', '.join(FEEDBACK_COLUMNS)} ON feedback BEGIN\n"
        + _sqlite_mark_feedback("OLD")
        + _sqlite_mark_feedback("NEW")
        + "END",
        # A deleted top id may be handed out again (rowid = max + 1): lower the watermark so
        # the next insert is still seen as new.
        "CREATE TRIGGER analytics_feedback_delete AFTER DELETE ON feedback BEGIN\n"
        + _sqlite_mark_feedback("OLD")
        + "UPDATE analytics_state SET feedback_watermark = "
        "(SELECT COALESCE(MAX(id), 0) FROM feedback) "
        "WHERE feedback_watermark > (SELECT COALESCE(MAX(id), 0) FROM feedback);\n"
        "END",
    ]
    for table, columns, customers in (
        ("enrichments", ENRICHMENT_COLUMNS, False),
        ("feedback_themes", THEME_COLUMNS, True),
    ):
        out += [
            f"CREATE TRIGGER analytics_{table}_insert AFTER INSERT ON {table} BEGIN\n"
            + _sqlite_mark_via_feedback("NEW", customers)
            + "END",
            f"CREATE TRIGGER analytics_{table}_delete AFTER DELETE ON {table} BEGIN\n"
            + _sqlite_mark_via_feedback("OLD", customers)
            + "END",
            f"CREATE TRIGGER analytics_{table}_update AFTER UPDATE OF {', '.join(columns)} "
            f"ON {table} BEGIN\n"
            + _sqlite_mark_via_feedback("OLD", customers)
            + _sqlite_mark_via_feedback("NEW", customers)
            + "END",
        ]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CUSTOMER_COLUMNS)
    days_of = _sqlite_add(
        "analytics_dirty_days",
        "day",
        _SQLITE_DAY.format("f"),
        "FROM feedback f WHERE f.customer_id = {0}.id",
    )
    out += [
        f"CREATE TRIGGER analytics_customers_update AFTER UPDATE OF "
        f"{', '.join(CUSTOMER_COLUMNS)} ON customers WHEN {changed} BEGIN\n"
        + days_of.format("NEW")
        + "END",
        "CREATE TRIGGER analytics_customers_delete BEFORE DELETE ON customers BEGIN\n"
        + days_of.format("OLD")
        + _sqlite_add("analytics_dirty_customers", "customer_id", "OLD.id")
        + "END",
    ]
    return out


# --- PostgreSQL: statement triggers for inserts and deletes, row triggers for updates --------
#
# Inserts and deletes come in bulk (ingestion, enrichment), so one statement trigger with a
# transition table marks a whole batch at once. Updates come one row per statement
# (executemany) and mostly touch columns no roll-up reads (enrichment rewrites the text with
# its redacted form), so they use row triggers limited by ``UPDATE OF`` and a WHEN condition,
# which PostgreSQL checks without calling the function.

_PG_DAY = "COALESCE(to_char({0}.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '')"


def _pg_function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}RETURN NULL;\nEND;\n$$"
    )


def _pg_statement_trigger(name: str, table: str, event: str, tables: str) -> str:
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )


def _pg_row_update_trigger(name: str, table: str, columns: tuple[str, ...]) -> str:
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    return (
        f"CREATE TRIGGER {name} AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"FOR EACH ROW WHEN (({old}) IS DISTINCT FROM ({new})) EXECUTE FUNCTION {name}()"
    )


def _pg_mark_rows(rows: str) -> str:
    """Mark the days and customers of feedback rows in the relation ``rows`` (alias r)."""
    return (
        "INSERT INTO analytics_dirty_days(day) SELECT DISTINCT "
        f"{_PG_DAY.format('r')} FROM {rows} ON CONFLICT DO NOTHING;\n"
        "INSERT INTO analytics_dirty_customers(customer_id) SELECT DISTINCT r.customer_id "
        f"FROM {rows} WHERE r.customer_id IS NOT NULL ON CONFLICT DO NOTHING;\n"
    )


def _pg_mark_via_feedback(source: str, customers: bool) -> str:
    """Mark the day (and customer) of feedback ``r`` in ``source`` (a FROM ... WHERE ...)."""
    out = (
        "INSERT INTO analytics_dirty_days(day) SELECT DISTINCT "
        f"{_PG_DAY.format('r')} {source} ON CONFLICT DO NOTHING;\n"
    )
    if customers:
        out += (
            "INSERT INTO analytics_dirty_customers(customer_id) SELECT DISTINCT r.customer_id "
            f"{source} AND r.customer_id IS NOT NULL ON CONFLICT DO NOTHING;\n"
        )
    return out


def _postgres_triggers() -> list[str]:
    old_new = "FROM (VALUES (OLD.received_at, OLD.customer_id), (NEW.received_at, "
    old_new += "NEW.customer_id)) AS r(received_at, customer_id)"
    statement = [
        ("analytics_feedback_insert", "feedback", "INSERT", "NEW TABLE AS new_rows",
         _pg_mark_rows("new_rows r")),
        ("analytics_feedback_delete", "feedback", "DELETE", "OLD TABLE AS old_rows",
         _pg_mark_rows("old_rows r")),
        # Deleting a customer sets its feedback's customer_id to NULL (foreign key), which
        # the feedback update trigger records; its per-customer rows are marked here.
        ("analytics_customers_delete", "customers", "DELETE", "OLD TABLE AS old_rows",
         "INSERT INTO analytics_dirty_customers(customer_id) SELECT DISTINCT r.id "
         "FROM old_rows r ON CONFLICT DO NOTHING;\n"),
    ]  # fmt: skip
    row: list[tuple[str, str, tuple[str, ...], str]] = [
        ("analytics_feedback_update", "feedback", FEEDBACK_COLUMNS,
         _pg_mark_rows(f"(SELECT * {old_new}) r")),
        ("analytics_customers_update", "customers", CUSTOMER_COLUMNS,
         _pg_mark_via_feedback("FROM feedback r WHERE r.customer_id = NEW.id", False)),
    ]  # fmt: skip
    for table, columns, customers in (
        ("enrichments", ENRICHMENT_COLUMNS, False),
        ("feedback_themes", THEME_COLUMNS, True),
    ):
        for event, rows in (("insert", "new_rows"), ("delete", "old_rows")):
            statement.append(
                (
                    f"analytics_{table}_{event}",
                    table,
                    event.upper(),
                    f"{'NEW' if event == 'insert' else 'OLD'} TABLE AS {rows}",
                    _pg_mark_via_feedback(
                        f"FROM {rows} t JOIN feedback r ON r.id = t.feedback_id WHERE TRUE",
                        customers,
                    ),
                )
            )
        row.append(
            (
                f"analytics_{table}_update",
                table,
                columns,
                _pg_mark_via_feedback(
                    "FROM feedback r WHERE r.id IN (OLD.feedback_id, NEW.feedback_id)", customers
                ),
            )
        )
    out: list[str] = []
    for name, table, event, tables, body in statement:
        out += [_pg_function(name, body), _pg_statement_trigger(name, table, event, tables)]
    for name, table, keys, body in row:
        out += [_pg_function(name, body), _pg_row_update_trigger(name, table, keys)]
    return out


TRIGGERS = (
    ("analytics_feedback_insert", "feedback"),
    ("analytics_feedback_update", "feedback"),
    ("analytics_feedback_delete", "feedback"),
    ("analytics_enrichments_insert", "enrichments"),
    ("analytics_enrichments_delete", "enrichments"),
    ("analytics_enrichments_update", "enrichments"),
    ("analytics_feedback_themes_insert", "feedback_themes"),
    ("analytics_feedback_themes_delete", "feedback_themes"),
    ("analytics_feedback_themes_update", "feedback_themes"),
    ("analytics_customers_update", "customers"),
    ("analytics_customers_delete", "customers"),
)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table in TRIGGERS:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in (
        "analytics_state",
        "analytics_dirty_customers",
        "analytics_dirty_days",
        "analytics_customer_nps",
        "analytics_customer_themes",
        "analytics_theme_group_daily",
        "analytics_theme_customer_daily",
        "analytics_theme_daily",
        "analytics_customer_daily",
        "analytics_feedback_daily",
    ):
        op.drop_table(table)
