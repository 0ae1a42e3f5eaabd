"""Property-based tests (hypothesis) for the parsers, converters and the mapping."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.ingest import convert
from cxloop.ingest.fields import spec_for
from cxloop.ingest.mapping import parse_map_option, resolve_mapping
from cxloop.ingest.prepare import prepare_feedback
from cxloop.ingest.readers import open_table

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: Any text a person can type, including quotes, delimiters, newlines and non-Latin scripts.
free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=60,
)


@SETTINGS
@given(
    texts=st.lists(free_text, min_size=1, max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_csv_text_survives_reading_and_mapping_exactly(
    tmp_path_factory, texts, delimiter, encoding
):
    path = Path(tmp_path_factory.mktemp("p")) / "in.csv"
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(["id", "comment", "nps", "note"])
        for i, t in enumerate(texts):
            w.writerow([f"k{i}", t, i % 11, t])
    reader = open_table(path)
    assert reader.columns == ["id", "comment", "nps", "note"]
    res = resolve_mapping("feedback", reader.columns, reader.lookahead)
    rows, extras = [], []
    for batch in reader.batches(5):
        assert not batch.bad
        prepared = prepare_feedback(batch, res, reader.all_text)
        rows += prepared.cols["text"]
        extras += prepared.cols["extra"]
    assert rows == [t if t != "" else None for t in texts]
    assert extras == [{"note": t} if t else {} for t in texts]


@SETTINGS
@given(
    values=st.lists(st.one_of(st.integers(-20, 30), st.just(""), st.just("  ")), max_size=30),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_scores_accept_exactly_the_range(values, pad):
    spec = spec_for("feedback", "nps")
    raw = [f"{pad}{v}{pad}" if isinstance(v, int) else v for v in values]
    out, errors = convert.numbers(raw, spec, "score")
    for i, v in enumerate(values):
        if isinstance(v, str):
            assert out[i] is None and i not in errors
        elif 0 <= v <= 10:
            assert out[i] == v and isinstance(out[i], int) and i not in errors
        else:
            assert out[i] is None and "outside 0–10 for NPS" in errors[i]


moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1))
offsets = st.one_of(st.none(), st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m)))


@SETTINGS
@given(items=st.lists(st.tuples(moments, offsets, st.booleans()), min_size=1, max_size=25))
def test_datetimes_are_the_same_instant_whatever_the_mix_of_offsets(items):
    raw, expected = [], []
    for moment, offset, use_t in items:
        moment = moment.replace(microsecond=0)
        sep = "T" if use_t else " "
        if offset is None:
            raw.append(moment.isoformat(sep=sep))
            expected.append(moment.replace(tzinfo=UTC))
        else:
            aware = moment.replace(tzinfo=timezone(offset))
            raw.append(aware.isoformat(sep=sep))
            expected.append(aware.astimezone(UTC))
    out, errors = convert.datetimes(raw, "when")
    assert not errors
    assert out == expected


@SETTINGS
@given(year=st.integers(1900, 2100), month=st.integers(1, 12), quarter=st.integers(1, 4))
def test_periods(year, month, quarter):
    start, end, grain = convert.period(f"{year}-{month:02d}")
    assert (start, grain) == (date(year, month, 1), "month")
    assert end.month == month and (end + timedelta(days=1)).day == 1
    qs, qe, qg = convert.period(f"{year}-Q{quarter}")
    assert qg == "quarter" and qs == date(year, 3 * quarter - 2, 1)
    assert qe.month == 3 * quarter and (qe + timedelta(days=1)).day == 1
    assert convert.period(f"Q{quarter} {year}") == (qs, qe, qg)


column_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=",="),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s)


@SETTINGS
@given(
    pairs=st.dictionaries(
        column_names, st.sampled_from(["nps", "text", "rating", "extra"]), max_size=6
    )
)
def test_map_option_round_trips(pairs):
    option = ",".join(f"{c}={f}" for c, f in pairs.items())
    assert parse_map_option([option] if option else []) == pairs


@SETTINGS
@given(columns=st.lists(column_names, min_size=1, max_size=8, unique=True), data=st.data())
def test_every_column_is_either_mapped_or_kept_as_metadata(columns, data):
    from cxloop.ingest.readers import RawBatch

    target = data.draw(st.sampled_from(columns))
    res = resolve_mapping("feedback", columns, [], mapping={target: "text"})
    assert res.mapping[target] == "text"
    assert [c for c, f in res.mapping.items() if f == "text"] == [target]
    row = [f"value {i}" for i in range(len(columns))]
    prepared = prepare_feedback(RawBatch(list(columns), [row], [2]), res, all_text=True)
    bad = [b.reason for b in prepared.bad]
    if not bad:
        extra = prepared.cols["extra"][0]
        assert set(extra) == set(columns) - set(res.mapping)
        assert prepared.cols["text"] == [row[columns.index(target)]]
    else:  # another synonym column claimed a score or a date, and "value N" is neither
        assert all("is not a number" in r or "is not a date" in r for r in bad)


@SETTINGS
@given(moment=moments, offset=offsets, micro=st.integers(0, 999_999))
def test_fast_sqlite_timestamps_equal_sqlalchemys_own(moment, offset, micro):
    from sqlalchemy.dialects import sqlite

    from cxloop.ingest.store import sqlite_utc_text
    from cxloop.storage.types import UTCDateTime

    value = moment.replace(microsecond=micro)
    if offset is not None:
        value = value.replace(tzinfo=timezone(offset))
    dialect = sqlite.dialect()
    column_type = UTCDateTime()
    reference = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert sqlite_utc_text(value) == reference(value)
