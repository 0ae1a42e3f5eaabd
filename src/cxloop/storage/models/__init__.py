"""All models, imported here so ``Base.metadata`` is complete for Alembic and tests.

Each capability owns one module; add new modules to the import list below.
"""

from cxloop.storage.models import (
    analytics,
    core,
    delivery,
    learning,
    loop,
    people,
    plans,
    text,
    web,
)
from cxloop.storage.models.base import Base
from cxloop.storage.models.core import (
    BusinessMetric,
    Customer,
    Feedback,
    IngestRun,
    QuarantinedRow,
    Source,
    WorkspaceDocument,
)
from cxloop.storage.models.learning import ModelVersion, TaughtExample, ThemeProposal
from cxloop.storage.models.people import ROLES, Team, User
from cxloop.storage.models.text import Enrichment, FeedbackTheme, Theme

__all__ = [
    "ROLES",
    "Base",
    "BusinessMetric",
    "Customer",
    "Enrichment",
    "Feedback",
    "FeedbackTheme",
    "IngestRun",
    "ModelVersion",
    "QuarantinedRow",
    "Source",
    "TaughtExample",
    "Team",
    "Theme",
    "ThemeProposal",
    "User",
    "WorkspaceDocument",
    "analytics",
    "core",
    "delivery",
    "learning",
    "loop",
    "people",
    "plans",
    "text",
    "web",
]
