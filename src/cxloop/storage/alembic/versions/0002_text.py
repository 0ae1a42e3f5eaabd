"""text engine tables (model versions, corrections)

Revision ID: 0002_text
Revises: 0001_core

Owned by one capability; left empty until that capability adds its tables. The chain order
is fixed so parallel work never creates two heads.
"""

from __future__ import annotations

revision = "0002_text"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No tables yet."""


def downgrade() -> None:
    """Nothing to undo."""
