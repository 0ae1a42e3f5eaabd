"""Profiles for common tool exports, registered by name and detected from the headers."""

from __future__ import annotations

from typing import Any

from cxloop.errors import InputError
from cxloop.ingest.profiles.app_store import AppStoreProfile
from cxloop.ingest.profiles.base import Profile, normalise
from cxloop.ingest.profiles.generic import GenericProfile
from cxloop.ingest.profiles.qualtrics import QualtricsProfile
from cxloop.ingest.profiles.trustpilot import TrustpilotProfile
from cxloop.ingest.profiles.zendesk import ZendeskProfile

__all__ = ["PROFILES", "Profile", "detect_profile", "get_profile", "normalise"]

#: Tool-specific feedback profiles, most specific first; ``generic`` is the fallback.
PROFILES: dict[str, type[Profile]] = {
    "qualtrics": QualtricsProfile,
    "zendesk": ZendeskProfile,
    "trustpilot": TrustpilotProfile,
    "app_store": AppStoreProfile,
    "generic": GenericProfile,
}


def get_profile(name: str, kind: str) -> Profile:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key == "appstore":
        key = "app_store"
    if key not in PROFILES:
        raise InputError(f"unknown profile '{name}'", hint=f"use one of: {', '.join(PROFILES)}")
    if key == "generic":
        return GenericProfile(kind)
    if kind != "feedback":
        raise InputError(
            f"profile '{key}' reads feedback, not {kind}",
            hint="use --profile generic or leave --profile out",
        )
    return PROFILES[key]()


def detect_profile(kind: str, columns: list[str], lookahead: list[list[Any]]) -> Profile:
    """The tool profile that recognises these headers best, else the generic one."""
    if kind != "feedback":
        return GenericProfile(kind)
    best: Profile = GenericProfile(kind)
    best_score = best.score(columns, lookahead)
    for name, cls in PROFILES.items():
        if name == "generic":
            continue
        profile = cls()
        s = profile.score(columns, lookahead)
        if s > best_score:
            best, best_score = profile, s
    return best
