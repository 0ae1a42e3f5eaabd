"""The demo company's feedback sources and how each theme moves satisfaction.

Mention rates, complaint shares and effects per source are the knobs behind the planted
effects; :mod:`cxloop.demo.feedback` draws items from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxloop.demo import planted


@dataclass(frozen=True)
class SourceSpec:
    """One feedback source of the demo company and how its customers talk."""

    key: str
    name: str
    channel: str
    share: float
    score: str | None  # nps|csat|ces|rating
    style: str  # survey|review|social|ticket
    id_prefix: str
    linked_share: float  # share of items that carry the customer id
    comment_rate: float
    base: float  # latent satisfaction before effects (0-10 scale)
    #: theme -> (mention rate, share of mentions that are complaints)
    rates: dict[str, tuple[float, float]] = field(default_factory=dict)
    question_rate: float = 0.0
    stage: str = ""
    touchpoint: str = ""
    extra_columns: tuple[str, ...] = ()


_NPS_RATES = {
    "Price and value": (0.10, 0.60),
    "Product quality": (0.12, 0.45),
    "Delivery": (0.24, 0.82),
    "Customer service": (0.07, 0.60),
    "Billing and refunds": (0.04, 0.85),
    "Website and app": (0.03, 0.40),
    "Wait time": (0.04, 0.85),
    "Communication": (0.05, 0.70),
    "Onboarding": (0.03, 0.50),
    "Returns": (0.04, 0.65),
}

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        "nps", planted.NPS_SOURCE, "survey", 0.30, "nps", "survey", "NPS", 1.0, 0.85, 8.8,
        _NPS_RATES, extra_columns=("survey_wave",),
    ),
    SourceSpec(
        "csat", planted.CSAT_SOURCE, "survey", 0.15, "csat", "survey", "CSAT", 1.0, 0.7,
        8.8,
        {
            "Delivery": (0.50, 0.55), "Product quality": (0.15, 0.45), "Returns": (0.04, 0.6),
            "Communication": (0.08, 0.7), "Price and value": (0.04, 0.5),
            "Billing and refunds": (0.03, 0.85), "Customer service": (0.03, 0.6),
        },
        stage="receive", touchpoint="delivery", extra_columns=("order_id", "carrier"),
    ),
    SourceSpec(
        "ces", planted.CES_SOURCE, "survey", 0.10, "ces", "survey", "CES", 1.0, 0.7, 8.6,
        {
            "Customer service": (0.35, 0.5), "Wait time": (0.30, 0.8),
            "Billing and refunds": (0.10, 0.8), "Returns": (0.10, 0.6), "Delivery": (0.15, 0.8),
            "Website and app": (0.03, 0.6), "Communication": (0.05, 0.7),
        },
        stage="support", touchpoint="contact centre", extra_columns=("contact_channel",),
    ),
    SourceSpec(
        "reviews", planted.REVIEWS_SOURCE, "review", 0.12, "rating", "review", "REV", 0.85, 1.0,
        8.8,
        {
            "Product quality": (0.50, 0.40), "Price and value": (0.20, 0.45),
            "Delivery": (0.12, 0.75), "Returns": (0.06, 0.7), "Billing and refunds": (0.02, 0.8),
        },
        stage="use", touchpoint="product", extra_columns=("product_name", "verified_purchase"),
    ),
    SourceSpec(
        "appstore", planted.APP_STORE_SOURCE, "app_store", 0.08, "rating", "review", "APP", 0.1,
        1.0, 8.6,
        {
            "Website and app": (0.60, 0.55), "Delivery": (0.05, 0.8),
            "Billing and refunds": (0.05, 0.8), "Onboarding": (0.10, 0.5),
            "Price and value": (0.04, 0.5),
        },
        touchpoint="mobile app", extra_columns=("platform", "app_version"),
    ),
    SourceSpec(
        "social", planted.SOCIAL_SOURCE, "social", 0.10, None, "social", "SOC", 0.15, 1.0, 8.0,
        {
            "Delivery": (0.25, 0.85), "Customer service": (0.15, 0.75),
            "Price and value": (0.08, 0.5), "Product quality": (0.10, 0.4),
            "Website and app": (0.06, 0.7), "Wait time": (0.06, 0.9),
            "Billing and refunds": (0.06, 0.85), "Communication": (0.04, 0.8),
        },
        question_rate=0.18, extra_columns=("platform", "likes"),
    ),
    SourceSpec(
        "tickets", planted.TICKETS_SOURCE, "support", 0.15, None, "ticket", "TKT", 1.0, 1.0, 7.0,
        {
            "Delivery": (0.35, 0.92), "Billing and refunds": (0.15, 0.9), "Returns": (0.15, 0.8),
            "Product quality": (0.12, 0.9), "Website and app": (0.03, 0.8),
            "Customer service": (0.06, 0.9), "Wait time": (0.05, 0.95),
            "Communication": (0.05, 0.85), "Onboarding": (0.04, 0.7),
        },
        question_rate=0.15, stage="support",
        extra_columns=("agent_note", "priority", "ticket_channel"),
    ),
)  # fmt: skip

#: Effect of a complaint about each theme on latent satisfaction (0-10 scale); praise adds
#: ``PRAISE_EFFECT``. Delivery is the planted key driver, by far the largest.
COMPLAINT_EFFECT = {
    "Price and value": -1.2,
    "Product quality": -1.4,
    "Delivery": -(planted.DRIVER_NPS_PENALTY + 0.9),
    "Customer service": -1.2,
    "Billing and refunds": -1.3,
    "Website and app": -1.4,
    "Wait time": -1.0,
    "Communication": -0.8,
    "Onboarding": -0.8,
    "Returns": -1.1,
}
PRAISE_EFFECT = 0.5
PACKAGING_EFFECT = -0.6
NOISE_SD = 1.5
#: Latent offset per segment (``planted.SEGMENTS`` order): Enterprise needs a different
#: experience and scores markedly lower.
SEGMENT_OFFSET = (0.0, -0.2, -1.8)
#: Planted different segment: complaints about DIFFERENT_SEGMENT_THEME are this much more
#: frequent there (and mostly about account management).
DIFFERENT_SEGMENT_RATE_MULTIPLIER = 4.0
#: Customers who hit the app crash mention it in this share of their later feedback.
CRASH_MENTION_RATE = 0.6
COLUMNS = (
    "external_id",
    "received_at",
    "customer_id",
    "channel",
    "source",
    "title",
    "text",
    "nps",
    "csat",
    "ces",
    "rating",
    "language",
    "journey_stage",
    "touchpoint",
)
TRUTH_COLUMNS = (
    "_customer",
    "_month",
    "_themes",
    "_segment",
    "_exposed",
    "_spike_week",
    "_packaging",
    "_latent",
)
