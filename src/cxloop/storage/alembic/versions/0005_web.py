"""web: sessions, API tokens, audit log

Revision ID: 0005_web
Revises: 0004_loop

Owned by one capability; left empty until that capability adds its tables. The chain order
is fixed so parallel work never creates two heads.
"""

from __future__ import annotations

revision = "0005_web"
down_revision = "0004_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No tables yet."""


def downgrade() -> None:
    """Nothing to undo."""
