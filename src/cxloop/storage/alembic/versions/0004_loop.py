"""closed loop: rules, cases, outbox, follow-ups, action plans, CX plan

Revision ID: 0004_loop
Revises: 0003_learning

Owned by one capability; left empty until that capability adds its tables. The chain order
is fixed so parallel work never creates two heads.
"""

from __future__ import annotations

revision = "0004_loop"
down_revision = "0003_learning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No tables yet."""


def downgrade() -> None:
    """Nothing to undo."""
