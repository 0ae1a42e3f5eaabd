"""ingest: the dedup key a quarantined feedback row had in its file

Revision ID: 0010_quarantine_dedup_key
Revises: 0009_rollup_build_steps

A feedback row without an external id is identified by a hash of its raw values in file
order. A quarantined row is kept as a JSON object (PostgreSQL's JSONB does not keep key
order), so a retry used to compute a different key than a later re-ingest of the same file
would, and that re-ingest stored the row a second time. The key is now kept with the entry
and a retry stores the row under it. Entries quarantined before this migration have none
and keep the old behaviour.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_quarantine_dedup_key"
down_revision = "0009_rollup_build_steps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("quarantine", sa.Column("dedup_key", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("dedup_key")
