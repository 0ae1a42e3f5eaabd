"""The safe ``when`` language: examples with known answers, clear errors, and properties."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.loop.expressions import ExpressionError, compile_expression

ROWS = [
    {
        "id": 1,
        "nps": 3,
        "segment": "Enterprise",
        "revenue": 120000.0,
        "text": "Parcel LATE again",
        "themes": ["Delivery"],
        "theme_sentiments": {"Delivery": "negative"},
        "theme_scores": {"Delivery": -0.8},
        "sentiment": "negative",
        "churn_risk": True,
        "received_at": datetime(2026, 1, 10, tzinfo=UTC),
        "extra": {"plan": "gold"},
        "first_feedback": True,
    },
    {
        "id": 2,
        "nps": 9,
        "segment": "SMB",
        "revenue": 900.0,
        "text": "fine",
        "themes": ["Delivery", "Price and value"],
        "theme_sentiments": {"Delivery": "positive"},
        "theme_scores": {"Delivery": 0.5},
        "sentiment": "positive",
        "churn_risk": False,
        "received_at": datetime(2026, 2, 10, tzinfo=UTC),
        "extra": {},
        "first_feedback": False,
    },
    {
        "id": 3,
        "nps": None,
        "segment": None,
        "revenue": None,
        "text": None,
        "themes": [],
        "theme_sentiments": {},
        "theme_scores": {},
        "sentiment": None,
        "churn_risk": None,
        "received_at": None,
        "extra": {"plan": 5},
        "first_feedback": False,
    },
]


@pytest.fixture
def frame():
    return pd.DataFrame(ROWS)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("nps <= 6 and 'Delivery' in themes", [1]),
        ("nps <= 6", [1]),
        ("not nps <= 6", [2, 3]),  # a missing score is not <= 6, so "not" holds
        ("nps != 3", [2]),  # a comparison with a missing value is false, != included
        ("nps == None", [3]),
        ("nps != None and segment in ['SMB', 'Enterprise']", [1, 2]),
        ("segment == 'enterprise'", []),  # equality is exact
        ("'late' in text", [1]),  # substring search ignores case
        ("'late' not in text", [2]),
        ("churn_risk", [1]),
        ("churn_risk or first_feedback", [1]),
        ("revenue >= 100000", [1]),
        ("customer.revenue / 1000 > 100", [1]),
        ("theme_sentiment('Delivery') == 'negative'", [1]),
        ("theme_score('Delivery') < 0", [1]),
        ("'Delivery' not in themes", [3]),
        ("received_at >= '2026-02-01'", [2]),
        ("extra.plan == 'gold'", [1]),
        ("extra.plan >= 5", [3]),
        ("0 <= nps <= 5", [1]),
        ("sentiment == 'negative' and (segment == 'Enterprise' or nps <= 2)", [1]),
    ],
)
def test_examples(frame, expr, expected):
    compiled = compile_expression(expr)
    got = frame["id"][compiled.evaluate(frame)].tolist()
    assert got == expected
    assert [r["id"] for r in ROWS if compiled.evaluate_record(r)] == expected


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("nps <= 6 and delivery_score > 1", "unknown field 'delivery_score'"),
        ("__import__('os').system('true')", "not allowed"),
        ("open('/etc/passwd')", "function 'open' is not allowed"),
        ("themes.__class__", "unknown field"),
        ("nps[0] > 1", "Subscript"),
        ("[x for x in themes]", "ListComp"),
        ("lambda: True", "Lambda"),
        ("nps <= 'six'", "cannot compare a number with a string"),
        ("segment > 'A'", "compare numbers and dates"),
        ("nps", "not a condition"),
        ("nps <= ", "syntax error"),
        ("", "empty"),
        ("themes == 'Delivery'", "with 'in'"),
        ("segment in [1, 2]", "must be a string"),
        ("received_at > 'last tuesday'", "not a date"),
        ("1 < 2", "needs a field"),
        ("nps ** 2 > 4", "not allowed"),
        ("f'{nps}' == '3'", "not allowed"),
        ("theme_sentiment(segment) == 'x'", "theme name in quotes"),
    ],
)
def test_bad_expressions_fail_at_compile_time_with_a_clear_message(expr, words):
    with pytest.raises(
        ExpressionError, match=words.replace("(", r"\(").replace("[", r"\[")
    ) as info:
        compile_expression(expr)
    assert info.value.details == {"field": "when"}


def test_expression_never_calls_eval(monkeypatch):
    """eval/exec are never called; compile only as ast.parse uses it (to build a tree)."""
    import ast
    import builtins

    real_compile = builtins.compile

    def forbidden(*_a, **_k):
        raise AssertionError("eval/exec must never be called")

    def tree_only(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "compile() may only build a syntax tree"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", tree_only)
    compiled = compile_expression("nps <= 6 and 'Delivery' in themes")
    assert compiled.evaluate_record(ROWS[0]) is True
    assert compiled.evaluate(pd.DataFrame(ROWS)).tolist() == [True, False, False]


# ---- properties ----------------------------------------------------------------------------

NUM_FIELDS = ["nps", "revenue", "sentiment_score"]
STR_FIELDS = ["segment", "sentiment", "channel"]
BOOL_FIELDS = ["churn_risk", "urgency"]
THEMES = ["Delivery", "Billing", "Service"]

numbers = st.one_of(st.integers(-3, 12).map(float), st.sampled_from([0.5, -0.25, 1000.0]))
strings = st.sampled_from(["SMB", "Enterprise", "negative", "positive", "email", ""])


def _leaf() -> st.SearchStrategy[str]:
    num_cmp = st.builds(
        lambda f, op, v: f"{f} {op} {v!r}",
        st.sampled_from(NUM_FIELDS),
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        numbers,
    )
    str_cmp = st.builds(
        lambda f, op, v: f"{f} {op} {v!r}",
        st.sampled_from(STR_FIELDS),
        st.sampled_from(["==", "!="]),
        strings,
    )
    isin = st.builds(
        lambda f, neg, vs: f"{f} {'not in' if neg else 'in'} {vs!r}",
        st.sampled_from(STR_FIELDS),
        st.booleans(),
        st.lists(strings, max_size=3),
    )
    theme = st.builds(
        lambda t, neg: f"{t!r} {'not in' if neg else 'in'} themes",
        st.sampled_from(THEMES),
        st.booleans(),
    )
    null = st.builds(
        lambda f, op: f"{f} {op} None",
        st.sampled_from(NUM_FIELDS + STR_FIELDS),
        st.sampled_from(["==", "!="]),
    )
    arith = st.builds(
        lambda f, op, k, v: f"{f} {op} {k!r} > {v!r}",
        st.sampled_from(NUM_FIELDS),
        st.sampled_from(["+", "-", "*", "/"]),
        numbers,
        numbers,
    )
    return st.one_of(num_cmp, str_cmp, isin, theme, null, arith, st.sampled_from(BOOL_FIELDS))


expressions = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)

rows = st.fixed_dictionaries(
    {
        "nps": st.one_of(st.none(), st.integers(0, 10)),
        "revenue": st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)),
        "sentiment_score": st.one_of(st.none(), st.floats(-1, 1, allow_nan=False)),
        "segment": st.one_of(st.none(), strings),
        "sentiment": st.one_of(st.none(), st.sampled_from(["negative", "neutral", "positive"])),
        "channel": st.one_of(st.none(), strings),
        "churn_risk": st.one_of(st.none(), st.booleans()),
        "urgency": st.booleans(),
        "themes": st.lists(st.sampled_from(THEMES), unique=True, max_size=3),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, data=st.lists(rows, min_size=1, max_size=12))
def test_vectorised_and_per_record_evaluation_agree(expr, data):
    compiled = compile_expression(expr)
    frame = pd.DataFrame(data)
    vector = compiled.evaluate(frame)
    assert vector.dtype == np.bool_ and len(vector) == len(data)
    assert vector.tolist() == [compiled.evaluate_record(r) for r in data]


@settings(max_examples=300, deadline=None)
@given(expr=expressions, data=st.lists(rows, min_size=1, max_size=8))
def test_not_is_the_complement_and_and_is_the_intersection(expr, data):
    frame = pd.DataFrame(data)
    a = compile_expression(expr).evaluate(frame)
    assert (compile_expression(f"not ({expr})").evaluate(frame) == ~a).all()
    both = compile_expression(f"({expr}) and churn_risk").evaluate(frame)
    assert (both == (a & compile_expression("churn_risk").evaluate(frame))).all()


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_is_either_compiled_or_rejected_cleanly(text):
    try:
        compile_expression(text)
    except ExpressionError as exc:
        assert exc.message.startswith("rule condition")
