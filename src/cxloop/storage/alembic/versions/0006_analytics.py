"""analytics: caches and settings

Revision ID: 0006_analytics
Revises: 0005_web

Owned by one capability; left empty until that capability adds its tables. The chain order
is fixed so parallel work never creates two heads.
"""

from __future__ import annotations

revision = "0006_analytics"
down_revision = "0005_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No tables yet."""


def downgrade() -> None:
    """Nothing to undo."""
