"""learning: theme proposals, taught examples, model registry

Revision ID: 0003_learning
Revises: 0002_text

Owned by one capability; left empty until that capability adds its tables. The chain order
is fixed so parallel work never creates two heads.
"""

from __future__ import annotations

revision = "0003_learning"
down_revision = "0002_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No tables yet."""


def downgrade() -> None:
    """Nothing to undo."""
