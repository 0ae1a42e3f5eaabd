"""The theme taxonomy: YAML in and out, validation that names the line, storage in ``themes``.

A taxonomy is hierarchical (``parent``) and user-editable. The YAML is parsed into a node tree
(``yaml.compose``) rather than plain Python objects so every problem can be reported with the
line it is on ("line 12: theme 'Delivery' is defined twice (first on line 4)"). A workspace
with no themes gets the default taxonomy seeded on first use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cxloop.errors import InputError, NotFoundError
from cxloop.text.types import ThemeDefinition

if TYPE_CHECKING:
    from sqlalchemy import Engine

ALLOWED_FIELDS = ("name", "description", "keywords", "examples", "parent", "effort")
EFFORTS = ("low", "medium", "high")
MAX_NAME = 200


class TaxonomyError(InputError):
    """A taxonomy file that cannot be used; the message names the line and the problem."""


@dataclass
class ParsedTaxonomy:
    """Themes in file order and the line each one starts on (1-based)."""

    themes: list[ThemeDefinition]
    lines: dict[str, int] = field(default_factory=dict)
    efforts: dict[str, str] = field(default_factory=dict)


def _fail(where: str, line: int, problem: str) -> TaxonomyError:
    return TaxonomyError(
        f"{where} line {line}: {problem}",
        hint="fix the taxonomy file and import it again (see docs/text.md for the format)",
        details={"line": line, "problem": problem},
    )


def _scalar_text(node: yaml.Node, where: str, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise _fail(where, node.start_mark.line + 1, f"{what} must be a single text value")
    return str(node.value).strip()


def _text_list(node: yaml.Node, where: str, what: str) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        if node.value in ("", "~", "null"):
            return ()
        raise _fail(
            where,
            node.start_mark.line + 1,
            f"{what} must be a list, e.g. {what}: [a, b] (got the single value {node.value!r})",
        )
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(where, node.start_mark.line + 1, f"{what} must be a list of texts")
    values = []
    for item in node.value:
        value = _scalar_text(item, where, f"each entry of {what}")
        if value:
            values.append(value)
    return tuple(values)


def parse_taxonomy(text: str, source: str = "taxonomy") -> ParsedTaxonomy:
    """Parse and validate taxonomy YAML; raises :class:`TaxonomyError` naming line and problem.

    Parents must be defined in the same file unless they are left for :func:`import_taxonomy`
    to resolve against the workspace (it re-checks them).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise _fail(source, line, f"not valid YAML: {exc.problem or exc.context}") from exc
    if root is None:
        raise _fail(source, 1, "the file is empty; it needs a 'themes:' list")
    items_node: yaml.Node | None = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "themes":
                items_node = value
            else:
                raise _fail(
                    source,
                    key.start_mark.line + 1,
                    f"unknown top-level key '{key.value}'; "
                    "the file needs one key, 'themes', holding a list",
                )
        if items_node is None:
            raise _fail(source, root.start_mark.line + 1, "missing the 'themes:' list")
    elif isinstance(root, yaml.SequenceNode):
        items_node = root
    else:
        raise _fail(source, root.start_mark.line + 1, "expected 'themes:' followed by a list")
    if not isinstance(items_node, yaml.SequenceNode):
        raise _fail(source, items_node.start_mark.line + 1, "'themes' must be a list of themes")

    parsed = ParsedTaxonomy(themes=[])
    for item in items_node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise _fail(source, line, "each theme must be a mapping with at least 'name'")
        fields: dict[str, yaml.Node] = {}
        for key, value in item.value:
            name = str(key.value)
            if name not in ALLOWED_FIELDS:
                raise _fail(
                    source,
                    key.start_mark.line + 1,
                    f"unknown field '{name}' (allowed: {', '.join(ALLOWED_FIELDS)})",
                )
            if name in fields:
                raise _fail(source, key.start_mark.line + 1, f"field '{name}' given twice")
            fields[name] = value
        if "name" not in fields:
            raise _fail(source, line, "theme without a 'name'")
        theme_name = _scalar_text(fields["name"], source, "name")
        if not theme_name:
            raise _fail(source, fields["name"].start_mark.line + 1, "the name is empty")
        if len(theme_name) > MAX_NAME:
            raise _fail(source, line, f"the name is longer than {MAX_NAME} characters")
        if theme_name in parsed.lines:
            raise _fail(
                source,
                line,
                f"theme '{theme_name}' is defined twice (first on line {parsed.lines[theme_name]})",
            )
        description = (
            _scalar_text(fields["description"], source, "description")
            if "description" in fields
            else ""
        )
        keywords = (
            _text_list(fields["keywords"], source, "keywords") if "keywords" in fields else ()
        )
        examples = (
            _text_list(fields["examples"], source, "examples") if "examples" in fields else ()
        )
        parent = _scalar_text(fields["parent"], source, "parent") if "parent" in fields else ""
        if parent == theme_name:
            raise _fail(source, line, f"theme '{theme_name}' cannot be its own parent")
        if "effort" in fields:
            effort = _scalar_text(fields["effort"], source, "effort").lower()
            if effort not in EFFORTS:
                raise _fail(
                    source,
                    fields["effort"].start_mark.line + 1,
                    f"effort must be one of {', '.join(EFFORTS)} (got '{effort}')",
                )
            parsed.efforts[theme_name] = effort
        if not description and not keywords and not examples:
            raise _fail(
                source,
                line,
                f"theme '{theme_name}' needs a description, keywords or examples so it can be "
                "recognised",
            )
        parsed.lines[theme_name] = line
        parsed.themes.append(
            ThemeDefinition(
                name=theme_name,
                description=description,
                keywords=keywords,
                examples=examples,
                parent=parent or None,
            )
        )
    if not parsed.themes:
        raise _fail(source, items_node.start_mark.line + 1, "the 'themes' list is empty")
    return parsed


def check_hierarchy(
    parsed: ParsedTaxonomy, known: Sequence[str] = (), source: str = "taxonomy"
) -> None:
    """Every parent exists (in the file or in ``known``) and no theme is its own ancestor."""
    names = {t.name for t in parsed.themes} | set(known)
    parents = {t.name: t.parent for t in parsed.themes if t.parent}
    for theme in parsed.themes:
        if theme.parent and theme.parent not in names:
            raise _fail(
                source,
                parsed.lines[theme.name],
                f"parent '{theme.parent}' of theme '{theme.name}' is not defined; "
                "add it to the file or fix the spelling",
            )
    for start in parents:
        seen = {start}
        node = parents.get(start)
        while node:
            if node in seen:
                raise _fail(
                    source, parsed.lines[start], f"theme '{start}' is part of a parent cycle"
                )
            seen.add(node)
            node = parents.get(node)


def load_taxonomy_file(path: Path | str) -> ParsedTaxonomy:
    """Read, parse and validate a taxonomy YAML file (parents must be in the file)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"taxonomy file not found: {path}", hint="check the path")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"{path}: not UTF-8 text", hint="save the file as UTF-8") from exc
    parsed = parse_taxonomy(text, source=str(path))
    check_hierarchy(parsed, source=str(path))
    return parsed


@lru_cache(maxsize=1)
def _default_text() -> str:
    return resources.files("cxloop.text").joinpath("data/default_taxonomy.yaml").read_text("utf-8")


def default_taxonomy() -> list[ThemeDefinition]:
    """The default CX taxonomy shipped with cxloop (names as in ``demo.planted.DEFAULT_THEMES``)."""
    return list(parse_taxonomy(_default_text(), source="default_taxonomy.yaml").themes)


def taxonomy_to_yaml(
    themes: Sequence[ThemeDefinition], efforts: dict[str, str] | None = None
) -> str:
    """YAML in the import format (round-trips through :func:`parse_taxonomy`)."""
    items: list[dict[str, Any]] = []
    for theme in themes:
        item: dict[str, Any] = {"name": theme.name}
        if theme.description:
            item["description"] = theme.description
        item["keywords"] = list(theme.keywords)
        if theme.examples:
            item["examples"] = list(theme.examples)
        if theme.parent:
            item["parent"] = theme.parent
        effort = (efforts or {}).get(theme.name)
        if effort and effort != "medium":
            item["effort"] = effort
        items.append(item)
    return yaml.safe_dump(
        {"themes": items}, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
    )


def taxonomy_fingerprint(themes: Sequence[ThemeDefinition]) -> str:
    """A short hash of the taxonomy content: enrichment is redone when it changes."""
    payload = [
        [t.name, t.description, list(t.keywords), list(t.examples), t.parent or ""]
        for t in sorted(themes, key=lambda t: t.name)
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:10]


# --- workspace storage -------------------------------------------------------------------------


def ensure_taxonomy(engine: Engine) -> bool:
    """Seed the default taxonomy when the workspace has no themes at all; True if it did."""
    from sqlalchemy import func, select  # database code only where a database is used

    from cxloop.storage.db import transaction
    from cxloop.storage.models import Theme

    with transaction(engine) as session:
        if session.scalar(select(func.count()).select_from(Theme)):
            return False
    parsed = parse_taxonomy(_default_text(), source="default_taxonomy.yaml")
    _store(engine, parsed, origin="default", replace=False)
    return True


def load_taxonomy(engine: Engine, *, seed: bool = True) -> list[ThemeDefinition]:
    """The workspace's active themes (seeding the default taxonomy first when there is none)."""
    from sqlalchemy import select  # database code only where a database is used

    from cxloop.storage.db import transaction
    from cxloop.storage.models import Theme

    if seed:
        ensure_taxonomy(engine)
    with transaction(engine) as session:
        rows = session.execute(
            select(
                Theme.id,
                Theme.name,
                Theme.description,
                Theme.keywords,
                Theme.examples,
                Theme.parent_id,
            )
            .where(Theme.active.is_(True))
            .order_by(Theme.id)
        ).all()
        names = dict(session.execute(select(Theme.id, Theme.name)).tuples().all())
    return [
        ThemeDefinition(
            name=row.name,
            description=row.description or "",
            keywords=tuple(row.keywords or ()),
            examples=tuple(row.examples or ()),
            parent=names.get(row.parent_id) if row.parent_id else None,
        )
        for row in rows
    ]


def theme_ids(engine: Engine) -> dict[str, int]:
    """Theme name -> id for all themes (active or not)."""
    from sqlalchemy import select  # database code only where a database is used

    from cxloop.storage.db import transaction
    from cxloop.storage.models import Theme

    with transaction(engine) as session:
        return dict(session.execute(select(Theme.name, Theme.id)).tuples().all())


@dataclass
class ImportResult:
    created: int
    updated: int
    deactivated: int


def import_taxonomy(
    engine: Engine, parsed: ParsedTaxonomy, *, replace: bool = False, source: str = "taxonomy"
) -> ImportResult:
    """Store ``parsed``: themes are matched by name (created or updated); with ``replace`` the
    active themes missing from the file are deactivated (kept, so past results stay readable)."""
    known = [] if replace else list(theme_ids(engine))
    check_hierarchy(parsed, known=known, source=source)
    return _store(engine, parsed, origin="user", replace=replace)


def _store(engine: Engine, parsed: ParsedTaxonomy, *, origin: str, replace: bool) -> ImportResult:
    from sqlalchemy import select  # database code only where a database is used

    from cxloop.storage.db import transaction
    from cxloop.storage.models import Theme

    created = updated = deactivated = 0
    with transaction(engine) as session:
        existing = {t.name: t for t in session.scalars(select(Theme))}
        hierarchy_before = {(t.id, t.parent_id, t.active) for t in existing.values()}
        for definition in parsed.themes:
            theme = existing.get(definition.name)
            if theme is None:
                theme = Theme(name=definition.name, origin=origin)
                session.add(theme)
                existing[definition.name] = theme
                created += 1
            else:
                updated += 1
            theme.description = definition.description or None
            theme.keywords = list(definition.keywords)
            theme.examples = list(definition.examples)
            theme.active = True
            theme.effort = parsed.efforts.get(definition.name, theme.effort or "medium")
        session.flush()
        for definition in parsed.themes:
            theme = existing[definition.name]
            theme.parent_id = existing[definition.parent].id if definition.parent else None
        if replace:
            in_file = {t.name for t in parsed.themes}
            for name, theme in existing.items():
                if name not in in_file and theme.active:
                    theme.active = False
                    deactivated += 1
        session.flush()
        if {(t.id, t.parent_id, t.active) for t in existing.values()} != hierarchy_before:
            from cxloop.text.theme_rollup import roll_up_to_parents

            roll_up_to_parents(session)  # stored results follow the new hierarchy at once
    return ImportResult(created=created, updated=updated, deactivated=deactivated)


def export_taxonomy(engine: Engine) -> str:
    """The workspace's active taxonomy as YAML (seeding the default first when empty)."""
    from sqlalchemy import select  # database code only where a database is used

    from cxloop.storage.db import transaction
    from cxloop.storage.models import Theme

    themes = load_taxonomy(engine)
    with transaction(engine) as session:
        efforts = dict(session.execute(select(Theme.name, Theme.effort)).tuples().all())
    return taxonomy_to_yaml(themes, efforts)


def list_themes(engine: Engine, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """One row per theme with its parent, keyword and example counts (``taught``: examples of
    the active theme version, which are not in the taxonomy itself) and feedback count."""
    from sqlalchemy import func, select  # database code only where a database is used

    from cxloop.storage.db import transaction
    from cxloop.storage.models import FeedbackTheme, Theme
    from cxloop.text.model_registry import active_theme_examples

    ensure_taxonomy(engine)
    counts = (
        select(FeedbackTheme.theme_id, func.count().label("n"))
        .group_by(FeedbackTheme.theme_id)
        .subquery()
    )
    stmt = (
        select(Theme, counts.c.n)
        .outerjoin(counts, counts.c.theme_id == Theme.id)
        .order_by(Theme.id)
    )
    if not include_inactive:
        stmt = stmt.where(Theme.active.is_(True))
    with transaction(engine) as session:
        rows = session.execute(stmt).all()
        names = dict(session.execute(select(Theme.id, Theme.name)).tuples().all())
        active = active_theme_examples(session)
    taught = active.examples_ if active is not None else {}
    against = active.counter_examples_ if active is not None else {}
    return [
        {
            "name": theme.name,
            "parent": names.get(theme.parent_id) if theme.parent_id else None,
            "description": theme.description,
            "keywords": len(theme.keywords or ()),
            "examples": len(theme.examples or ()),
            "taught": len(taught.get(theme.name, ())),
            "taught_not": len(against.get(theme.name, ())),
            "feedback": int(n or 0),
            "effort": theme.effort,
            "origin": theme.origin,
            "active": theme.active,
        }
        for theme, n in rows
    ]


def get_theme(engine: Engine, name: str) -> ThemeDefinition:
    """One active theme by name, or a :class:`NotFoundError` listing what exists."""
    for theme in load_taxonomy(engine):
        if theme.name == name:
            return theme
    raise NotFoundError(f"no theme named '{name}'", hint="see: cxloop taxonomy list")
