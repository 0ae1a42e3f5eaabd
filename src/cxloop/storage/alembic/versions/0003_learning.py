"""learning: theme proposals, taught examples, model registry

Revision ID: 0003_learning
Revises: 0002_text
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import cxloop.storage.types

revision = "0003_learning"
down_revision = "0002_text"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
Ts = cxloop.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "theme_proposals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("keywords", Json, nullable=False),
        sa.Column("signature", sa.String(length=400), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("negative_share", sa.Float(), nullable=True),
        sa.Column("trend", Json, nullable=False),
        sa.Column("examples", Json, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("theme_id", BigId, nullable=True),
        sa.Column("params", Json, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("decided_at", Ts, nullable=True),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_theme_proposals_theme_id_themes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme_proposals")),
    )
    op.create_index("ix_theme_proposals_status", "theme_proposals", ["status"])
    op.create_table(
        "taught_examples",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("task", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("feedback_id", BigId, nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=True),
        sa.Column("created_at", Ts, nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_taught_examples_feedback_id_feedback"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_examples")),
        sa.UniqueConstraint(
            "task", "text_hash", "label", name=op.f("uq_taught_examples_task_text_hash_label")
        ),
    )
    op.create_index("ix_taught_examples_task_hash", "taught_examples", ["task", "text_hash"])
    op.create_table(
        "model_versions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("task", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("backend", sa.String(length=40), nullable=False),
        sa.Column("n_examples", sa.Integer(), nullable=False),
        sa.Column("metrics", Json, nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("task", "version", name=op.f("uq_model_versions_task_version")),
    )


def downgrade() -> None:
    op.drop_table("model_versions")
    op.drop_index("ix_taught_examples_task_hash", table_name="taught_examples")
    op.drop_table("taught_examples")
    op.drop_index("ix_theme_proposals_status", table_name="theme_proposals")
    op.drop_table("theme_proposals")
