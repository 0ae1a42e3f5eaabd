"""The --filter language: parsed into conditions, never evaluated; bound parameters only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from cxloop.analytics.data import F, Scope, scope_where
from cxloop.analytics.filters import Condition, parse_filter
from cxloop.errors import InputError


def test_parses_equality_and_lists() -> None:
    conds = parse_filter("segment = 'SMB' and region in ('North','South')")
    assert conds == [
        Condition("segment", "=", ("SMB",)),
        Condition("region", "in", ("North", "South")),
    ]


def test_numbers_not_in_and_escaped_quotes() -> None:
    conds = parse_filter("nps >= 9 AND channel not in (\"email\", 'web') and name = 'O''Neil'")
    assert conds[0] == Condition("nps", ">=", (9.0,))
    assert conds[1] == Condition("channel", "not in", ("email", "web"))
    assert conds[2] == Condition("name", "=", ("O'Neil",))


@pytest.mark.parametrize(
    "bad",
    [
        "segment =",
        "segment 'SMB'",
        "= 'SMB'",
        "segment = 'SMB' or region = 'North'",
        "segment in 'SMB'",
        "segment = 'SMB'; DROP TABLE feedback",
        "__import__('os').system('x')",
        "segment = 'unterminated",
    ],
)
def test_bad_filters_are_refused_with_a_message(bad: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_filter(bad)
    assert "filter" in str(exc.value)


def test_values_reach_sql_only_as_bound_parameters() -> None:
    payload = "x' OR '1'='1"
    quoted = payload.replace("'", "''")
    scope = Scope(conditions=tuple(parse_filter(f"segment = '{quoted}'")))
    stmt = select(F.c.id).where(*scope_where(scope))
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        compiled = stmt.compile(dialect=dialect)
        assert payload not in str(compiled)
        assert payload in compiled.params.values()


def test_unknown_field_names_must_be_plain() -> None:
    with pytest.raises(InputError):
        scope_where(Scope(conditions=(Condition("a;b", "=", ("x",)),)))


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True).filter(
                lambda s: s not in {"and", "in", "not"}
            ),
            st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=15),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_round_trip_of_any_quoted_text(pairs: list[tuple[str, str]]) -> None:
    text = " and ".join(f"{k} = '{v.replace(chr(39), chr(39) * 2)}'" for k, v in pairs)
    assert parse_filter(text) == [Condition(k, "=", (v,)) for k, v in pairs]
