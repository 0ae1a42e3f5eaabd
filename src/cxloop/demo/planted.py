"""The effects planted on purpose in the demo company, as one source of truth.

The generator writes them; the analytics tests assert that the matching analysis recovers
each one. Dates are fixed (not "today") so that a seed always gives the same company.
"""

from __future__ import annotations

from datetime import date

#: The 24 months of history: first day of the first month, last day of the last month.
HISTORY_START = date(2024, 11, 1)
HISTORY_END = date(2026, 10, 31)

#: Customer segments and regions of the demo company.
SEGMENTS = ("Consumer", "SMB", "Enterprise")
REGIONS = ("North", "South", "East", "West")

#: The names of the default CX taxonomy (text engine); the demo's verbatims speak about them.
DEFAULT_THEMES = (
    "Price and value",
    "Product quality",
    "Delivery",
    "Customer service",
    "Billing and refunds",
    "Website and app",
    "Wait time",
    "Communication",
    "Onboarding",
    "Returns",
)

#: 1. Key driver: mentioning delivery problems costs about this many NPS points (0-10 scale);
#: it must rank first in ``analyze drivers --outcome nps``.
DRIVER_THEME = "Delivery"
DRIVER_NPS_PENALTY = 3.0

#: 2. Spike: one complaint (double charges) jumps in exactly one ISO week (Monday below).
SPIKE_THEME = "Billing and refunds"
SPIKE_WEEK_START = date(2026, 3, 9)
SPIKE_MULTIPLIER = 6.0

#: 3. A segment that needs a different experience: markedly lower NPS/CSAT and far more
#: complaints about customer service (account management response times).
DIFFERENT_SEGMENT = "Enterprise"
DIFFERENT_SEGMENT_THEME = "Customer service"

#: 4. A problem that makes customers leave: app crashes after a release; customers who hit it
#: churn at a much higher hazard, exit reasons name it, and revenue follows a few months later.
CHURN_THEME = "Website and app"
CHURN_PROBLEM_START = date(2025, 9, 1)
CHURN_HAZARD_RATIO = 3.0

#: 5. Sales linkage: monthly revenue follows the monthly NPS with this lag (months).
SALES_LAG_MONTHS = 3

#: 6. A theme nobody defined (for theme discovery): about 1% of feedback complains about
#: excessive plastic packaging.
UNDEFINED_THEME_LABEL = "plastic packaging waste"
UNDEFINED_THEME_KEYWORDS = ("plastic", "packaging", "wasteful")
UNDEFINED_THEME_PREVALENCE = 0.01

#: The demo company and its default size (``make run``); analytics tests use these.
COMPANY_NAME = "Larkwood Home"
DEFAULT_SEED = 7
DEFAULT_CUSTOMERS = 4000
DEFAULT_FEEDBACK = 20_000

#: The feedback sources (one file each, ingested with ``source=`` this name) and channels.
NPS_SOURCE = "Relationship NPS survey"
CSAT_SOURCE = "Post-delivery CSAT survey"
CES_SOURCE = "Post-support CES survey"
REVIEWS_SOURCE = "Product reviews"
APP_STORE_SOURCE = "App store reviews"
SOCIAL_SOURCE = "Social media"
TICKETS_SOURCE = "Support tickets"

#: Churn analysis note: the crash starts part-way through the history, so a time-fixed
#: "complained about the app" flag on tenure suffers immortal-time bias (those who hit it had to
#: survive until then). Analyse customers active at CHURN_PROBLEM_START from that date, or use a
#: time-varying covariate, to see the planted hazard ratio.
CHURN_COHORT_START = CHURN_PROBLEM_START
