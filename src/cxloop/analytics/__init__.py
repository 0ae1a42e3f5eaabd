"""Understand the numbers: honest CX metrics and the analyses built on them.

``run_analysis(engine, name, **params)`` is the entry point for the CLI, the web app and
reports; the per-analysis functions (``metrics_table``, ``journey_map``, ``theme_impact``,
``key_drivers``, ``segment_differences``, ``churn_analysis``, ``sales_linkage``,
``rank_opportunities``, ``detect_spikes``) are pure and take frames. See docs/analytics.md.
"""

from __future__ import annotations

from cxloop.analytics.anomalies import detect_spikes
from cxloop.analytics.business import sales_linkage
from cxloop.analytics.churn import churn_analysis
from cxloop.analytics.data import Scope
from cxloop.analytics.drivers import key_drivers, relative_weights
from cxloop.analytics.filters import Condition, parse_filter
from cxloop.analytics.journey import journey_map
from cxloop.analytics.metrics import metrics_table
from cxloop.analytics.opportunities import rank_opportunities
from cxloop.analytics.result import AnalysisResult
from cxloop.analytics.segments import segment_differences
from cxloop.analytics.service import ALIASES, ANALYSES, run_analysis
from cxloop.analytics.themes import theme_impact

__all__ = [
    "ALIASES",
    "ANALYSES",
    "AnalysisResult",
    "Condition",
    "Scope",
    "churn_analysis",
    "detect_spikes",
    "journey_map",
    "key_drivers",
    "metrics_table",
    "parse_filter",
    "rank_opportunities",
    "relative_weights",
    "run_analysis",
    "sales_linkage",
    "segment_differences",
    "theme_impact",
]
