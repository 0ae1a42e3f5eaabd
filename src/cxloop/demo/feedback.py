"""Stream the demo company's feedback in chunks, with the planted effects built in.

Each item is drawn as: a source, a time, a customer active at that time, the themes mentioned
(with polarity), a latent satisfaction on the 0-10 scale (base per source + segment offset +
the month's mood + the effect of each theme + noise), the score the source asks for, and then
the words (:mod:`cxloop.demo.verbatims`), whose tone follows the score. Planted effects
(:mod:`cxloop.demo.planted`) enter as: a large NPS penalty for delivery complaints, a six-fold
rate of double-charge complaints in one ISO week, an Enterprise offset with many more
account-management complaints, app-crash complaints from customers who hit the crash, and
~1% plastic-packaging comments. Every chunk has its own generator derived from the seed, so
output is deterministic and memory stays constant whatever the total.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from cxloop.demo import planted
from cxloop.demo.population import (
    CHURN_START_S,
    DAY_S,
    HISTORY_END_S,
    HISTORY_START_S,
    Population,
    epoch_s,
)
from cxloop.demo.sources import (
    COLUMNS,
    COMPLAINT_EFFECT,
    CRASH_MENTION_RATE,
    DIFFERENT_SEGMENT_RATE_MULTIPLIER,
    NOISE_SD,
    PACKAGING_EFFECT,
    PRAISE_EFFECT,
    SEGMENT_OFFSET,
    SOURCES,
    TRUTH_COLUMNS,
    SourceSpec,
)
from cxloop.demo.verbatims import PACKAGING, Aspect, agent_note, compose

__all__ = ["COLUMNS", "SOURCES", "TRUTH_COLUMNS", "feedback_chunks", "generate_chunk"]

THEMES = planted.DEFAULT_THEMES
_T = {name: i for i, name in enumerate(THEMES)}
SPIKE_START_S = epoch_s(planted.SPIKE_WEEK_START)
SPIKE_END_S = epoch_s(planted.SPIKE_WEEK_START + timedelta(days=7))
CHUNK_SIZE = 10_000
#: Share of customers who hit the app crash and report it right away, and the most of the
#: feedback total such reports may take.
CRASH_REPORT_SHARE = 0.9
MAX_EVENT_SHARE = 0.10


def _rate_matrices() -> tuple[np.ndarray, np.ndarray]:
    rates = np.zeros((len(SOURCES), len(THEMES)))
    neg = np.zeros((len(SOURCES), len(THEMES)))
    for s, spec in enumerate(SOURCES):
        for theme, (rate, share) in spec.rates.items():
            rates[s, _T[theme]] = rate
            neg[s, _T[theme]] = share
    return rates, neg


_RATES, _NEG = _rate_matrices()
_SHARES = np.array([s.share for s in SOURCES]) / sum(s.share for s in SOURCES)
_COMPLAINT = np.array([COMPLAINT_EFFECT[t] for t in THEMES])


def monthly_mood(rng: np.random.Generator) -> np.ndarray:
    """Independent month-to-month swings of satisfaction (3 months before the history + 24).

    Independent draws (no trend) make the lag between satisfaction and sales identifiable.
    """
    return rng.normal(0.0, 0.45, size=27)


def month_index(ts: np.ndarray) -> np.ndarray:
    """Month number since HISTORY_START (0..23) of epoch seconds."""
    months = ts.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    start = np.datetime64(planted.HISTORY_START, "M").astype(np.int64)
    return months - start


def _pick_customers(pop: Population, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A customer active at each time (rejection sampling); -1 when none was found."""
    n = ts.shape[0]
    chosen = np.full(n, -1, dtype=np.int64)
    todo = np.arange(n)
    lo, hi = pop.active_from_s, pop.active_until_s
    for _ in range(40):
        if todo.size == 0:
            break
        cand = rng.integers(0, pop.size, size=todo.size)
        ok = (lo[cand] <= ts[todo]) & (ts[todo] < hi[cand])
        chosen[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return chosen


def _band(score_kind: str | None, score: int, latent: float) -> str:
    if score_kind == "nps":
        return "positive" if score >= 9 else "negative" if score <= 6 else "neutral"
    if score_kind in ("csat", "rating"):
        return "positive" if score >= 4 else "negative" if score <= 2 else "neutral"
    if score_kind == "ces":
        return "positive" if score >= 6 else "negative" if score <= 3 else "neutral"
    return "positive" if latent >= 8.0 else "negative" if latent < 6.0 else "neutral"


def _score(kind: str | None, latent: float) -> int | None:
    if kind == "nps":
        return int(min(10, max(0, round(latent))))
    if kind in ("csat", "rating"):
        return int(min(5, max(1, round(1 + latent * 0.42))))
    if kind == "ces":
        return int(min(7, max(1, round(1 + latent * 0.6))))
    return None


def _iso_times(ts: np.ndarray) -> list[str]:
    text = np.datetime_as_string(ts.astype("datetime64[s]"), unit="s")
    return [t + "+00:00" for t in text.tolist()]


@dataclass(frozen=True)
class Events:
    """Items caused by an event rather than drawn at random: who, when, through which source."""

    customer: np.ndarray
    ts: np.ndarray
    source: np.ndarray


def crash_reports(pop: Population, seed: int, budget: int) -> Events:
    """Most customers who hit the app crash report it within days, in a support ticket.

    Without these, a customer's chance to leave any feedback grows with how long they stay,
    so "complained about the app" would mark survivors, not the customers the crash drove away.
    """
    rng = np.random.default_rng([seed, 8])
    hit = np.flatnonzero(np.isfinite(pop.crash_s) & (rng.random(pop.size) < CRASH_REPORT_SHARE))
    if hit.size > budget:
        hit = np.sort(rng.choice(hit, size=budget, replace=False))
    delay = rng.exponential(2.0 * DAY_S, size=hit.size)
    ts = np.floor(np.minimum(pop.crash_s[hit] + delay, pop.active_until_s[hit] - 1.0))
    tickets = [spec.key for spec in SOURCES].index("tickets")
    source = np.full(hit.size, tickets, dtype=np.int64)
    return Events(customer=hit.astype(np.int64), ts=ts, source=source)


def generate_chunk(
    pop: Population,
    mood: np.ndarray,
    seed: int,
    chunk: int,
    size: int,
    first_index: int,
    events: Events | None = None,
) -> list[dict[str, object]]:
    """Generate ``size`` feedback rows (canonical columns, extras and ``_``-truth columns).

    With ``events`` the rows are those events (crash reports); otherwise source, time and
    customer are drawn at random.
    """
    rng = np.random.default_rng([seed, 7, chunk])
    rnd = random.Random(int(rng.integers(0, 2**62)))
    if events is not None:
        size = events.customer.shape[0]
        src, ts, cust = events.source, events.ts, events.customer
    else:
        src = rng.choice(len(SOURCES), size=size, p=_SHARES)
        ts = np.floor(HISTORY_START_S + rng.random(size) * (HISTORY_END_S - HISTORY_START_S))
        cust = _pick_customers(pop, ts, rng)
    known = cust >= 0
    seg = np.where(known, pop.segment[np.maximum(cust, 0)], 0)
    exposed = known & (ts >= np.where(known, pop.crash_s[np.maximum(cust, 0)], np.inf))
    spike = (ts >= SPIKE_START_S) & (ts < SPIKE_END_S)
    month = month_index(ts)

    comment = rng.random(size) < np.array([s.comment_rate for s in SOURCES])[src]
    rates = _RATES[src].copy()
    neg_share = _NEG[src].copy()
    ent = seg == planted.SEGMENTS.index(planted.DIFFERENT_SEGMENT)
    cs = _T[planted.DIFFERENT_SEGMENT_THEME]
    rates[ent, cs] = np.minimum(0.9, rates[ent, cs] * DIFFERENT_SEGMENT_RATE_MULTIPLIER + 0.05)
    neg_share[ent, cs] = 0.92
    bill = _T[planted.SPIKE_THEME]
    rates[spike, bill] = np.minimum(0.95, rates[spike, bill] * planted.SPIKE_MULTIPLIER)
    neg_share[spike, bill] = 1.0
    app = _T[planted.CHURN_THEME]
    rates[exposed, app] = np.maximum(rates[exposed, app], CRASH_MENTION_RATE)
    neg_share[exposed, app] = 1.0

    if events is not None:  # a crash report is about the crash only
        comment[:] = True
        rates[:, :] = 0.0
        rates[:, app] = 1.0
    mentioned = (rng.random(rates.shape) < rates) & comment[:, None]
    negative = rng.random(rates.shape) < neg_share
    question_rate = np.array([s.question_rate for s in SOURCES])[src]
    question = rng.random(rates.shape) < question_rate[:, None]
    packaging = comment & (rng.random(size) < planted.UNDEFINED_THEME_PREVALENCE)
    variant_roll = rng.random(size)

    effect = np.where(negative, _COMPLAINT[None, :], PRAISE_EFFECT)
    effect = np.where(question & ~negative, 0.0, effect)
    base = np.array([s.base for s in SOURCES])[src]
    latent = (
        base
        + np.take(SEGMENT_OFFSET, seg)
        + mood[np.clip(month + 3, 0, mood.shape[0] - 1)]
        + (effect * mentioned).sum(axis=1)
        + np.where(packaging, PACKAGING_EFFECT, 0.0)
        + rng.normal(0.0, NOISE_SD, size=size)
    )
    times = _iso_times(ts)
    linked = rng.random(size) < np.array([s.linked_share for s in SOURCES])[src]

    themes_of: list[list[int]] = [[] for _ in range(size)]
    for i, t in zip(*np.nonzero(mentioned), strict=True):
        themes_of[i].append(t)
    src_l, cust_l, seg_l, month_l = src.tolist(), cust.tolist(), seg.tolist(), month.tolist()
    known_l, linked_l, comment_l = known.tolist(), linked.tolist(), comment.tolist()
    exposed_l, spike_l, ent_l, pack_l = (
        exposed.tolist(),
        spike.tolist(),
        ent.tolist(),
        packaging.tolist(),
    )
    latent_l, roll_l, ts_l = latent.tolist(), variant_roll.tolist(), ts.tolist()
    rows: list[dict[str, object]] = []
    for i in range(size):
        spec = SOURCES[src_l[i]]
        aspects: list[Aspect] = []
        for t in themes_of[i]:
            theme = THEMES[t]
            if negative[i, t]:
                variant = None
                if t == bill and spike_l[i]:
                    variant = "spike"
                elif t == app and exposed_l[i]:
                    variant = "crash"
                elif t == cs and ent_l[i] and roll_l[i] < 0.7:
                    variant = "account"
                aspects.append((theme, "negative", variant))
            elif question[i, t]:
                aspects.append((theme, "neutral", None))
            else:
                aspects.append((theme, "positive", None))
        if len(aspects) > 3:
            rnd.shuffle(aspects)
            aspects = aspects[:3]
        if pack_l[i]:
            aspects.append((PACKAGING, "negative", None))
        lat = latent_l[i]
        score = _score(spec.score, lat)
        band = _band(spec.score, score if score is not None else 0, lat)
        row: dict[str, object] = {
            "external_id": f"{spec.id_prefix}-{first_index + i:07d}",
            "received_at": times[i],
            "customer_id": f"C{cust_l[i] + 1:06d}" if known_l[i] and linked_l[i] else "",
            "channel": spec.channel,
            "source": spec.name,
            "title": "",
            "text": "",
            "nps": score if spec.score == "nps" else "",
            "csat": score if spec.score == "csat" else "",
            "ces": score if spec.score == "ces" else "",
            "rating": score if spec.score == "rating" else "",
            "language": "",
            "journey_stage": spec.stage,
            "touchpoint": spec.touchpoint,
        }
        if comment_l[i]:
            verbatim = compose(
                aspects, band, rnd, style=spec.style, want_title=spec.style == "review"
            )
            row["text"] = verbatim.text
            row["title"] = verbatim.title or ""
            aspects = list(verbatim.aspects)
        _add_extras(row, spec, aspects, ts_l[i], month_l[i], rnd)
        row["_customer"] = f"C{cust_l[i] + 1:06d}" if known_l[i] else ""
        row["_month"] = month_l[i]
        row["_themes"] = "|".join(f"{a[0]}:{a[1]}" for a in aspects)
        row["_segment"] = planted.SEGMENTS[seg_l[i]]
        row["_exposed"] = exposed_l[i]
        row["_spike_week"] = spike_l[i]
        row["_packaging"] = any(a[0] == PACKAGING for a in aspects)
        row["_latent"] = round(lat, 3)
        rows.append(row)
    return rows


def _add_extras(
    row: dict[str, object],
    spec: SourceSpec,
    aspects: list[Aspect],
    ts: float,
    month: int,
    rnd: random.Random,
) -> None:
    """Source-specific metadata columns (kept by ingestion as feedback metadata)."""
    from cxloop.demo import lexicon

    if spec.key == "nps":
        row["survey_wave"] = f"W{month // 3 + 1:02d}"
    elif spec.key == "csat":
        row["order_id"] = f"LW{rnd.randint(100000, 999999)}"
        row["carrier"] = rnd.choice(("DPD", "Evri", "Royal Mail", "DHL"))
    elif spec.key == "ces":
        row["contact_channel"] = rnd.choice(("phone", "email", "live chat"))
    elif spec.key == "reviews":
        row["product_name"] = rnd.choice(lexicon.PRODUCTS)
        row["verified_purchase"] = "yes" if row["customer_id"] else "no"
    elif spec.key == "appstore":
        row["platform"] = rnd.choice(("iOS", "Android"))
        row["app_version"] = (
            rnd.choice(("5.0", "5.0.1", "5.1"))
            if ts >= CHURN_START_S
            else (rnd.choice(("4.7", "4.8", "4.8.2")))
        )
    elif spec.key == "social":
        row["platform"] = rnd.choice(("X", "Facebook", "Instagram", "Reddit"))
        row["likes"] = int(rnd.paretovariate(1.5)) - 1
    elif spec.key == "tickets":
        channel = rnd.choice(("email", "live chat", "phone", "web form"))
        row["agent_note"] = agent_note(aspects, rnd)
        negative = [a for a in aspects if a[1] == "negative"]
        row["priority"] = (
            "urgent"
            if any(a[2] in ("spike", "crash") for a in negative)
            else "high"
            if negative
            else "normal"
        )
        row["ticket_channel"] = channel
        row["touchpoint"] = channel


def feedback_chunks(
    pop: Population, mood: np.ndarray, seed: int, total: int, chunk_size: int = CHUNK_SIZE
) -> Iterator[list[dict[str, object]]]:
    """Yield ``total`` feedback rows in chunks; the same seed always yields the same rows.

    Crash reports come first (at most ``MAX_EVENT_SHARE`` of the total), then random items.
    """
    events = crash_reports(pop, seed, int(total * MAX_EVENT_SHARE))
    n_events = events.customer.shape[0]
    done = 0
    chunk = 0
    while done < n_events:
        part = slice(done, min(done + chunk_size, n_events))
        sub = Events(events.customer[part], events.ts[part], events.source[part])
        rows = generate_chunk(pop, mood, seed, chunk, 0, done + 1, events=sub)
        yield rows
        done += len(rows)
        chunk += 1
    while done < total:
        size = min(chunk_size, total - done)
        yield generate_chunk(pop, mood, seed, chunk, size, done + 1)
        done += size
        chunk += 1


def spike_days() -> tuple[float, float]:
    """The planted spike week as epoch seconds [start, end)."""
    return SPIKE_START_S, SPIKE_START_S + 7 * DAY_S
