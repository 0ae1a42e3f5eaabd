"""The customer journey: configurable stages in order, their touchpoints, and the mapping of
each feedback item onto a stage and touchpoint.

Source metadata wins over text because it is a fact, not a guess: a journey stage or
touchpoint given at ingestion, or a source whose channel names its moment (a post-delivery
survey is about delivery). Only when the source says nothing is the text read: touchpoint
keywords found in it, plus the themes the classifier found (a Delivery theme points at the
Delivery touchpoint). The journey is stored as a workspace document (key ``journey``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cxloop.errors import InputError
from cxloop.text.types import ThemeMatch

if TYPE_CHECKING:
    from sqlalchemy import Engine

DOCUMENT_KEY = "journey"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
#: Weight of a theme match (times its confidence) against one keyword hit.
THEME_WEIGHT = 1.5


class JourneyError(InputError):
    """A journey definition that cannot be used; the message names the stage and problem."""


@dataclass(frozen=True)
class Touchpoint:
    name: str
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    name: str
    touchpoints: tuple[Touchpoint, ...] = ()


@dataclass(frozen=True)
class ChannelRule:
    """``match`` is a case-insensitive regular expression over channel and source names."""

    match: str
    stage: str
    touchpoint: str | None = None


@dataclass(frozen=True)
class Journey:
    stages: tuple[Stage, ...]
    channels: tuple[ChannelRule, ...] = ()

    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": [
                {
                    "name": s.name,
                    "touchpoints": [
                        {
                            "name": t.name,
                            "keywords": list(t.keywords),
                            **({"themes": list(t.themes)} if t.themes else {}),
                        }
                        for t in s.touchpoints
                    ],
                }
                for s in self.stages
            ],
            "channels": [
                {
                    "match": c.match,
                    "stage": c.stage,
                    **({"touchpoint": c.touchpoint} if c.touchpoint else {}),
                }
                for c in self.channels
            ],
        }

    def fingerprint(self) -> str:
        """Short hash of the definition: enrichment is redone when the journey changes."""
        return hashlib.sha256(
            json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:8]


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise JourneyError(f"{where} must be a list of texts", hint="e.g. keywords: [a, b]")
    return tuple(str(v).strip() for v in value if str(v).strip())


def journey_from_dict(data: Any, source: str = "journey") -> Journey:
    """Validate a journey document; errors name the stage or touchpoint and the problem."""
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list) or not data["stages"]:
        raise JourneyError(
            f"{source}: needs a non-empty 'stages:' list",
            hint="see the default with: cxloop journey export journey.yaml",
        )
    unknown = set(data) - {"stages", "channels"}
    if unknown:
        raise JourneyError(f"{source}: unknown top-level key(s) {sorted(unknown)}")
    stages: list[Stage] = []
    seen_stages: set[str] = set()
    seen_tps: dict[str, str] = {}
    for i, raw in enumerate(data["stages"], start=1):
        if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
            raise JourneyError(f"{source}: stage {i} needs a 'name'")
        name = str(raw["name"]).strip()
        if name.lower() in seen_stages:
            raise JourneyError(f"{source}: stage '{name}' is defined twice")
        seen_stages.add(name.lower())
        extra = set(raw) - {"name", "touchpoints"}
        if extra:
            raise JourneyError(f"{source}: stage '{name}' has unknown field(s) {sorted(extra)}")
        tps: list[Touchpoint] = []
        for j, tp in enumerate(raw.get("touchpoints") or [], start=1):
            if not isinstance(tp, dict) or not str(tp.get("name") or "").strip():
                raise JourneyError(f"{source}: touchpoint {j} of stage '{name}' needs a 'name'")
            tp_name = str(tp["name"]).strip()
            extra = set(tp) - {"name", "keywords", "themes"}
            if extra:
                raise JourneyError(
                    f"{source}: touchpoint '{tp_name}' has unknown field(s) {sorted(extra)}"
                )
            if tp_name.lower() in seen_tps:
                raise JourneyError(
                    f"{source}: touchpoint '{tp_name}' appears in stage "
                    f"'{seen_tps[tp_name.lower()]}' and '{name}'; touchpoint names must be unique"
                )
            seen_tps[tp_name.lower()] = name
            tps.append(
                Touchpoint(
                    name=tp_name,
                    keywords=_texts(tp.get("keywords"), f"{source}: keywords of '{tp_name}'"),
                    themes=_texts(tp.get("themes"), f"{source}: themes of '{tp_name}'"),
                )
            )
        stages.append(Stage(name=name, touchpoints=tuple(tps)))
    rules: list[ChannelRule] = []
    for k, rule in enumerate(data.get("channels") or [], start=1):
        if not isinstance(rule, dict) or "match" not in rule or "stage" not in rule:
            raise JourneyError(f"{source}: channel rule {k} needs 'match' and 'stage'")
        try:
            re.compile(str(rule["match"]))
        except re.error as exc:
            raise JourneyError(f"{source}: channel rule {k}: bad pattern ({exc})") from exc
        stage = str(rule["stage"]).strip()
        if stage.lower() not in seen_stages:
            raise JourneyError(f"{source}: channel rule {k} names unknown stage '{stage}'")
        rule_tp = str(rule["touchpoint"]).strip() if rule.get("touchpoint") else None
        if rule_tp and seen_tps.get(rule_tp.lower(), "").lower() != stage.lower():
            raise JourneyError(
                f"{source}: channel rule {k}: touchpoint '{rule_tp}' is not in stage '{stage}'"
            )
        rules.append(ChannelRule(match=str(rule["match"]), stage=stage, touchpoint=rule_tp))
    return Journey(stages=tuple(stages), channels=tuple(rules))


def parse_journey(text: str, source: str = "journey") -> Journey:
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise JourneyError(f"{source} line {line}: not valid YAML: {exc.problem}") from exc
    return journey_from_dict(data, source)


def load_journey_file(path: Path | str) -> Journey:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"journey file not found: {path}", hint="check the path")
    return parse_journey(path.read_text(encoding="utf-8"), source=str(path))


@lru_cache(maxsize=1)
def default_journey() -> Journey:
    text = resources.files("cxloop.text").joinpath("data/default_journey.yaml").read_text("utf-8")
    return parse_journey(text, source="default_journey.yaml")


def journey_to_yaml(journey: Journey) -> str:
    return yaml.safe_dump(journey.to_dict(), sort_keys=False, allow_unicode=True, width=100)


def load_journey(engine: Engine, *, seed: bool = True) -> Journey:
    """The workspace's journey; the default is stored on first use when ``seed``."""
    from cxloop.storage.db import transaction  # database code only where a database is used
    from cxloop.storage.models import WorkspaceDocument

    with transaction(engine) as session:
        doc = session.get(WorkspaceDocument, DOCUMENT_KEY)
        if doc is not None:
            return journey_from_dict(doc.value, source="workspace journey")
    journey = default_journey()
    if seed:
        save_journey(engine, journey)
    return journey


def save_journey(engine: Engine, journey: Journey) -> None:
    from sqlalchemy import select

    from cxloop.storage.db import transaction
    from cxloop.storage.models import WorkspaceDocument

    with transaction(engine) as session:
        doc = session.scalar(select(WorkspaceDocument).where(WorkspaceDocument.key == DOCUMENT_KEY))
        if doc is None:
            session.add(WorkspaceDocument(key=DOCUMENT_KEY, value=journey.to_dict()))
        else:
            doc.value = journey.to_dict()


# --- mapping -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JourneyContext:
    """What the source says about a feedback item's place in the journey."""

    journey_stage: str | None = None
    touchpoint: str | None = None
    channels: tuple[str, ...] = ()


@dataclass
class JourneyPlacement:
    stage: str | None
    touchpoint: str | None
    source: str | None  # metadata|text|None


@dataclass
class JourneyMapper:
    """A journey compiled for fast mapping.

    Keywords are indexed by their first word, so finding the touchpoints a text mentions is a
    set intersection with the text's words plus a substring test for multi-word keywords.
    """

    journey: Journey
    _tp_stage: dict[str, str] = field(default_factory=dict)
    _tp_by_lower: dict[str, str] = field(default_factory=dict)
    _stage_by_lower: dict[str, str] = field(default_factory=dict)
    _theme_tps: dict[str, list[str]] = field(default_factory=dict)
    _by_first_word: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _first_words: frozenset[str] = frozenset()
    _rules: list[tuple[re.Pattern[str], str, str | None]] = field(default_factory=list)
    _order: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for stage in self.journey.stages:
            self._stage_by_lower[stage.name.lower()] = stage.name
            for tp in stage.touchpoints:
                self._tp_stage[tp.name] = stage.name
                self._tp_by_lower[tp.name.lower()] = tp.name
                self._order[tp.name] = len(self._order)
                for theme in tp.themes:
                    self._theme_tps.setdefault(theme, []).append(tp.name)
                for keyword in tp.keywords:
                    phrase = " ".join(keyword.lower().split())
                    if phrase:
                        first = phrase.split(" ", 1)[0]
                        self._by_first_word.setdefault(first, []).append((phrase, tp.name))
        self._first_words = frozenset(self._by_first_word)
        self._rules = [
            (re.compile(rule.match, re.IGNORECASE), rule.stage, rule.touchpoint)
            for rule in self.journey.channels
        ]

    def from_metadata(self, context: JourneyContext | None) -> JourneyPlacement | None:
        """Stage and touchpoint the source states; names are matched case-insensitively and
        kept as given when they are not in the journey (metadata is a fact)."""
        if context is None:
            return None
        tp_given = (context.touchpoint or "").strip()
        stage_given = (context.journey_stage or "").strip()
        if tp_given:
            tp = self._tp_by_lower.get(tp_given.lower())
            if tp:
                return JourneyPlacement(self._tp_stage[tp], tp, "metadata")
            stage = self._stage_by_lower.get(stage_given.lower(), stage_given or None)
            return JourneyPlacement(stage, tp_given, "metadata")
        if stage_given:
            return JourneyPlacement(
                self._stage_by_lower.get(stage_given.lower(), stage_given), None, "metadata"
            )
        for channel in context.channels:
            if not channel:
                continue
            for pattern, stage_name, tp_name in self._rules:
                if pattern.search(channel):
                    return JourneyPlacement(stage_name, tp_name, "metadata")
        return None

    def from_text(
        self,
        text: str,
        themes: Sequence[ThemeMatch] = (),
        *,
        lower: str | None = None,
        words: frozenset[str] | None = None,
    ) -> JourneyPlacement:
        """The touchpoint with the most distinct keywords found plus theme evidence; ties go
        to the earlier touchpoint in the journey."""
        scores: dict[str, float] = {}
        if text:
            if lower is None:
                lower = text[:20000].lower()
            if words is None:
                words = frozenset(_WORD.findall(lower))
            padded = ""
            for first in self._first_words & words:
                for phrase, tp in self._by_first_word[first]:
                    if phrase != first:
                        if not padded:
                            padded = " " + " ".join(_WORD.findall(lower)) + " "
                        if f" {phrase} " not in padded:
                            continue
                    scores[tp] = scores.get(tp, 0.0) + 1.0
        for theme in themes:
            for tp in self._theme_tps.get(theme.name, ()):
                scores[tp] = scores.get(tp, 0.0) + THEME_WEIGHT * theme.confidence
        if not scores:
            return JourneyPlacement(None, None, None)
        best = max(scores, key=lambda tp: (scores[tp], -self._order[tp]))
        return JourneyPlacement(self._tp_stage[best], best, "text")

    def place(
        self,
        text: str,
        themes: Sequence[ThemeMatch] = (),
        context: JourneyContext | None = None,
        *,
        lower: str | None = None,
        words: frozenset[str] | None = None,
    ) -> JourneyPlacement:
        return self.from_metadata(context) or self.from_text(text, themes, lower=lower, words=words)
