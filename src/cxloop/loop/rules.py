"""Rules: YAML in, checked, stored in the workspace; YAML out.

A rules file looks like::

    rules:
      - name: detractor-delivery
        when: "nps <= 6 and 'Delivery' in themes"
        then:
          open_case: {priority: high, team: logistics, sla_first_response: 4h, sla_resolution: 3d}
          notify: ["email:ops-lead@example.com", "webhook:ops"]
          tag: [delivery-detractor]

Everything is checked before anything is stored — the YAML syntax, the shape, the ``when``
expression (unknown fields, type mistakes), the durations, and that teams, assignees and
webhooks exist — and an error names the rule and the field. An import is all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.errors import InputError, NotFoundError, ValidationError
from cxloop.loop.expressions import Expression, compile_expression
from cxloop.loop.sla import parse_duration
from cxloop.people.teams import find_team
from cxloop.people.users import find_user
from cxloop.storage.models.loop import CASE_PRIORITIES, Rule

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,119}$")


class OpenCaseAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: str = "normal"
    team: str | None = None
    assignee: str | None = None
    sla_first_response: str | None = None
    sla_resolution: str | None = None
    title: str | None = None

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str) -> str:
        if value not in CASE_PRIORITIES:
            raise ValueError("must be one of " + ", ".join(CASE_PRIORITIES))
        return value

    @field_validator("sla_first_response", "sla_resolution", mode="before")
    @classmethod
    def _duration(cls, value: Any, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        parse_duration(str(value), field_name=f"then.open_case.{info.field_name}")
        return str(value)


class RuleActions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    open_case: OpenCaseAction | None = None
    notify: list[str] = Field(default_factory=list)
    tag: list[str] = Field(default_factory=list)

    @field_validator("notify")
    @classmethod
    def _targets(cls, values: list[str]) -> list[str]:
        for v in values:
            channel, _, target = v.partition(":")
            if channel not in ("email", "webhook") or not target.strip():
                raise ValueError(f"{v!r} is not email:ADDRESS or webhook:NAME")
            if channel == "email" and "@" not in target:
                raise ValueError(f"{target!r} is not an e-mail address")
        return values

    @field_validator("tag")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        for v in values:
            if not _NAME.match(v):
                raise ValueError(f"tag {v!r} must be lower-case letters, digits, - or _")
        return values


class RuleSpec(BaseModel):
    """One rule as written in YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str
    when: str
    then: RuleActions
    description: str | None = None
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be lower-case letters, digits, - or _ (like detractor-delivery)")
        return value

    @field_validator("when")
    @classmethod
    def _when(cls, value: str) -> str:
        compile_expression(value)
        return value


@dataclass
class CompiledRule:
    """A stored rule with its checked expression, ready for the engine."""

    rule: Rule
    spec: RuleSpec
    expression: Expression

    @property
    def name(self) -> str:
        return self.rule.name


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def parse_rules_yaml(text: str, *, source: str = "rules file") -> list[RuleSpec]:
    """Parse and check the shape of a rules document (no database look-ups yet)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(
            f"{source}: malformed YAML{where}: {getattr(exc, 'problem', None) or exc}",
            hint="check the indentation and quoting; a 'when' with ':' or '#' needs quotes",
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise InputError(
            f"{source}: expected a top-level 'rules:' list", hint="see docs/loop.md for the shape"
        )
    specs: list[RuleSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(doc["rules"], start=1):
        label = raw.get("name") if isinstance(raw, dict) else None
        where = f"{source}: rule {index}" + (f" ({label})" if label else "")
        if not isinstance(raw, dict):
            raise InputError(f"{where}: each rule must be a mapping with name, when and then")
        try:
            spec = RuleSpec.model_validate(raw)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            ctx_error = (first.get("ctx") or {}).get("error")
            if isinstance(ctx_error, ValidationError):
                message = ctx_error.message
            raise ValidationError(
                f"{where}, field '{loc}': {message}", details={"field": loc}
            ) from exc
        except ValidationError as exc:
            raise ValidationError(
                f"{where}: {exc.message}", hint=exc.hint, details=exc.details
            ) from exc
        if spec.name in seen:
            raise ValidationError(f"{where}: the name {spec.name!r} is used twice")
        seen.add(spec.name)
        specs.append(spec)
    return specs


def check_references(session: Session, spec: RuleSpec) -> None:
    """Teams, assignees and webhooks named by a rule must exist in the workspace."""
    action = spec.then.open_case
    where = f"rule {spec.name}"
    if action and action.team and find_team(session, action.team) is None:
        raise NotFoundError(
            f"{where}: unknown team {action.team!r}",
            hint=f"create it with: cxloop teams create {action.team}",
        )
    if action and action.assignee:
        user = find_user(session, action.assignee)
        if user is None or not user.active:
            raise NotFoundError(
                f"{where}: unknown assignee {action.assignee!r}",
                hint=f"create it: cxloop users create --email {action.assignee} --role agent",
            )
    for target in spec.then.notify:
        channel, _, name = target.partition(":")
        if channel == "webhook" and not _webhook_exists(session, name):
            raise NotFoundError(
                f"{where}: webhook {name!r} is not configured",
                hint=f"add it with: cxloop outbox webhooks add {name} URL",
            )


def _webhook_exists(session: Session, name: str) -> bool:
    from cxloop.storage.models.delivery import WebhookEndpoint

    return (
        session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)) is not None
    )


def import_rules(
    session: Session, specs: Sequence[RuleSpec], *, replace: bool = False
) -> ImportResult:
    """Store ``specs`` (create or update by name); ``replace`` removes rules not in the file."""
    for spec in specs:
        check_references(session, spec)
    result = ImportResult()
    existing = {r.name: r for r in session.scalars(select(Rule))}
    for position, spec in enumerate(specs):
        actions = spec.then.model_dump(exclude_none=True)
        rule = existing.get(spec.name)
        if rule is None:
            session.add(
                Rule(
                    name=spec.name,
                    description=spec.description,
                    when_expr=spec.when,
                    actions=actions,
                    enabled=spec.enabled,
                    position=position,
                )
            )
            result.created.append(spec.name)
            continue
        before = (rule.description, rule.when_expr, rule.actions, rule.enabled)
        after = (spec.description, spec.when, actions, spec.enabled)
        rule.position = position
        if before == after:
            result.unchanged.append(spec.name)
            continue
        rule.description, rule.when_expr, rule.actions, rule.enabled = after
        result.updated.append(spec.name)
    if replace:
        keep = {s.name for s in specs}
        for name, rule in existing.items():
            if name not in keep:
                session.delete(rule)
                result.removed.append(name)
    session.flush()
    return result


def spec_of(rule: Rule) -> RuleSpec:
    return RuleSpec(
        name=rule.name,
        when=rule.when_expr,
        then=RuleActions.model_validate(rule.actions or {}),
        description=rule.description,
        enabled=rule.enabled,
    )


def export_rules(session: Session) -> str:
    """The stored rules as a YAML document that ``import`` reads back unchanged."""
    rules = session.scalars(select(Rule).order_by(Rule.position, Rule.id)).all()
    docs = []
    for rule in rules:
        doc: dict[str, Any] = {"name": rule.name}
        if rule.description:
            doc["description"] = rule.description
        doc["when"] = rule.when_expr
        doc["then"] = spec_of(rule).then.model_dump(exclude_none=True, exclude_defaults=True)
        if not rule.enabled:
            doc["enabled"] = False
        docs.append(doc)
    return yaml.safe_dump({"rules": docs}, sort_keys=False, allow_unicode=True)


def list_rules(session: Session) -> Sequence[Rule]:
    return session.scalars(select(Rule).order_by(Rule.position, Rule.id)).all()


def get_rule(session: Session, name: str) -> Rule:
    rule = session.scalars(select(Rule).where(Rule.name == name)).first()
    if rule is None:
        raise NotFoundError(f"no rule named {name!r}", hint="list them with: cxloop rules list")
    return rule


def set_enabled(session: Session, name: str, enabled: bool) -> Rule:
    rule = get_rule(session, name)
    rule.enabled = enabled
    session.flush()
    return rule


def compile_rule(rule: Rule) -> CompiledRule:
    spec = spec_of(rule)
    return CompiledRule(rule, spec, compile_expression(rule.when_expr))


def compiled_rules(session: Session, names: Sequence[str] | None = None) -> list[CompiledRule]:
    """Enabled rules (or exactly the named ones, enabled or not), compiled, in order."""
    if names:
        return [compile_rule(get_rule(session, n)) for n in names]
    return [compile_rule(r) for r in list_rules(session) if r.enabled]
