"""delivery: outbox, customer messages, follow-ups, action plans, CX plan

Revision ID: 0007_delivery
Revises: 0006_analytics

Owned by one capability; left empty until that capability adds its tables. The chain order
is fixed so parallel work never creates two heads.
"""

from __future__ import annotations

revision = "0007_delivery"
down_revision = "0006_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No tables yet."""


def downgrade() -> None:
    """Nothing to undo."""
