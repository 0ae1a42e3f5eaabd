"""analytics: heartbeat of a staged roll-up build

Revision ID: 0009_rollup_build_steps
Revises: 0008_analytics_rollups

On SQLite a full roll-up build is staged: computed under a read snapshot into temporary
tables, then copied into place in one short write transaction, so an ingest running at the
same time waits well under a second instead of the whole build. ``building_at`` is the time
of the build's last step; while it is recent, other processes answer from the source rows
instead of the empty roll-ups, and a build that died (no step for five minutes) is started
again by the next analysis.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cxloop.storage.types

revision = "0009_rollup_build_steps"
down_revision = "0008_analytics_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "analytics_state",
        sa.Column("building_at", cxloop.storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("analytics_state") as batch:
        batch.drop_column("building_at")
