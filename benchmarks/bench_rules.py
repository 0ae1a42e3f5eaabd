"""Benchmark: evaluate 20 rules over 100,000 new feedback items (target <= 10 s on 2 cores).

What is timed: one ``run_rules`` call, exactly what ``cxloop loop run`` does, on a migrated
database holding N feedback items with customers, enrichment rows and 1-3 themes each (all
new): reading the frame, evaluating the 20 rules, inserting the matches, opening the cases with
their history events and SLA deadlines, tags, and queuing the notifications in the outbox,
then committing. Building the data set is not timed. A second run (nothing new) is reported too.

    .venv/bin/python benchmarks/bench_rules.py                     # SQLite file in a temp dir
    .venv/bin/python benchmarks/bench_rules.py --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta

import psutil
from sqlalchemy import func, insert, select

from cxloop.loop.engine import run_rules
from cxloop.loop.rules import import_rules, parse_rules_yaml
from cxloop.people.hours import BusinessHours
from cxloop.people.teams import create_team
from cxloop.people.users import create_user
from cxloop.storage.db import make_engine, transaction, upgrade
from cxloop.storage.models import Customer, Enrichment, Feedback, FeedbackTheme, Source, Theme
from cxloop.storage.models.delivery import OutboxMessage, WebhookEndpoint
from cxloop.storage.models.loop import Case, RuleMatch

THEMES = [
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
]
SEGMENTS = ["Consumer", "SMB", "Enterprise"]
REGIONS = ["North", "South", "East", "West"]
CHANNELS = ["survey", "email", "chat", "review", "social"]

RULES = """
rules:
  - name: detractor-delivery
    when: "nps <= 6 and 'Delivery' in themes"
    then:
      open_case: {priority: high, team: logistics, sla_first_response: 4h, sla_resolution: 3d}
      notify: ["email:ops-lead@example.com", "webhook:ops"]
  - name: enterprise-detractor
    when: "nps <= 4 and segment == 'Enterprise' and revenue >= 50000"
    then: {open_case: {priority: urgent, sla_first_response: 1h, sla_resolution: 2d}}
  - name: churn-risk-high-value
    when: "churn_risk and revenue >= 20000"
    then: {open_case: {priority: high, sla_first_response: 4h}, tag: [at-risk]}
  - name: billing-negative
    when: "theme_sentiment('Billing and refunds') == 'negative' and nps <= 6"
    then: {open_case: {priority: normal, sla_first_response: 8h, sla_resolution: 5d}}
  - name: app-crash
    when: "'Website and app' in negative_themes and 'crash' in text"
    then: {open_case: {priority: high, sla_first_response: 2h}}
  - name: first-feedback-negative
    when: "first_feedback and sentiment == 'negative'"
    then: {tag: [first-impression]}
  - name: very-negative
    when: "sentiment_score <= -0.9"
    then: {open_case: {priority: normal, sla_first_response: 1d}}
  - name: urgent-signal
    when: "urgency and channel in ['email', 'chat']"
    then: {open_case: {priority: urgent, sla_first_response: 30m}}
  - name: effort-high
    when: "effort and ces != None and ces >= 6"
    then: {tag: [high-effort]}
  - name: csat-low
    when: "csat != None and csat <= 2"
    then: {tag: [low-csat]}
  - name: wait-time-smb
    when: "'Wait time' in themes and segment == 'SMB' and nps <= 5"
    then: {open_case: {priority: normal, sla_first_response: 1d}}
  - name: refund-mention
    when: "'refund' in text and sentiment == 'negative'"
    then: {tag: [refund]}
  - name: promoter-enterprise
    when: "nps >= 9 and segment == 'Enterprise'"
    then: {tag: [advocate]}
  - name: region-south-detractor
    when: "region == 'South' and nps <= 2"
    then: {open_case: {priority: low, sla_resolution: 5d}}
  - name: returns-negative
    when: "theme_score('Returns') < -0.5"
    then: {tag: [returns-pain]}
  - name: quality-detractor
    when: "'Product quality' in themes and nps <= 3 and rating != None and rating <= 2"
    then: {open_case: {priority: high, sla_first_response: 4h}}
  - name: onboarding-new-customer
    when: "'Onboarding' in themes and signup_at >= '2026-01-01' and sentiment != 'positive'"
    then: {tag: [onboarding]}
  - name: social-negative
    when: "channel == 'social' and sentiment == 'negative'"
    then: {tag: [social-negative]}
  - name: many-negative-themes
    when: "'Communication' in negative_themes and 'Customer service' in negative_themes"
    then: {open_case: {priority: normal, sla_first_response: 8h}}
  - name: vip-plan
    when: "extra.plan == 'vip' and nps <= 6"
    then: {open_case: {priority: high, sla_first_response: 1h}}
"""


def build(engine, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with transaction(engine) as s:
        src = Source(name="bench")
        s.add(src)
        for t in THEMES:
            s.add(Theme(name=t))
        s.flush()
        theme_ids = {t.name: t.id for t in s.scalars(select(Theme))}
        customers = [
            {
                "external_id": f"C{i}",
                "segment": rng.choice(SEGMENTS),
                "region": rng.choice(REGIONS),
                "revenue": round(rng.lognormvariate(9, 1.5), 2),
                "status": "active",
                "signup_at": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(900)),
                "content_hash": f"c{i}",
                "attributes": {},
            }
            for i in range(n // 4)
        ]
        s.execute(insert(Customer), customers)
        cust_ids = list(s.scalars(select(Customer.id).order_by(Customer.id)))
        create_user(s, email="boss@example.com", role="manager")
        create_team(
            s,
            "logistics",
            manager_email="boss@example.com",
            hours=BusinessHours.parse("Mon-Fri 09:00-17:00 Europe/Paris"),
        )
        s.add(WebhookEndpoint(name="ops", url="http://127.0.0.1:9/hook", secret="x"))
        import_rules(s, parse_rules_yaml(RULES))
        src_id = src.id
    start = datetime(2025, 1, 1, tzinfo=UTC)
    words = ["great", "late", "refund", "crash", "slow", "friendly", "broken", "price", "ok"]
    for lo in range(0, n, 20000):
        fb, enr, fth = [], [], []
        with transaction(engine) as s:
            first_id = (s.scalar(select(func.max(Feedback.id))) or 0) + 1
            for i in range(lo, min(n, lo + 20000)):
                fid = first_id + (i - lo)
                # a typical NPS mix: about 25 % detractors, 30 % passives, 45 % promoters
                nps = rng.choices(range(11), weights=[2, 1, 2, 2, 3, 5, 10, 14, 16, 22, 23])[0]
                cid = rng.choice(cust_ids)
                fb.append(
                    {
                        "id": fid,
                        "source_id": src_id,
                        "dedup_key": f"k{i}",
                        "content_hash": f"h{i}",
                        "customer_ref": f"C{cid - 1}",
                        "customer_id": cid,
                        "channel": rng.choice(CHANNELS),
                        "received_at": start + timedelta(minutes=5 * i),
                        "text": " ".join(rng.choices(words, k=8)),
                        "nps": nps,
                        "csat": rng.choice([None, 1, 2, 3, 4, 5]),
                        "ces": rng.choice([None, 2, 4, 6, 7]),
                        "rating": rng.choice([None, 1.0, 2.0, 3.0, 4.0, 5.0]),
                        "extra": {"plan": "vip"} if rng.random() < 0.01 else {},
                    }
                )
                score = max(-1.0, min(1.0, (nps - 6) / 5 + rng.gauss(0, 0.25)))
                label = "negative" if score < -0.2 else "positive" if score > 0.2 else "neutral"
                enr.append(
                    {
                        "feedback_id": fid,
                        "model_version": "bench",
                        "content_hash": f"h{i}",
                        "sentiment_label": label,
                        "sentiment_score": score,
                        "sentiment_confidence": 0.8,
                        "effort": rng.random() < 0.1,
                        "urgency": rng.random() < 0.03,
                        "churn_risk": rng.random() < 0.05,
                        "signals": [],
                        "sentences": [],
                        "redacted_text": None,
                    }
                )
                for t in rng.sample(THEMES, rng.choice([1, 1, 2, 3])):
                    fth.append(
                        {
                            "feedback_id": fid,
                            "theme_id": theme_ids[t],
                            "confidence": 0.8,
                            "sentiment_label": label,
                            "sentiment_score": score,
                            "origin": "model",
                            "extra": {},
                        }
                    )
            s.execute(insert(Feedback), fb)
            s.execute(insert(Enrichment), enr)
            s.execute(insert(FeedbackTheme), fth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_rules_")
    url = args.database_url or f"sqlite:///{os.path.join(tmp, 'bench.db')}"
    engine = make_engine(url)
    upgrade(engine)
    t = time.perf_counter()
    build(engine, args.n)
    print(f"built {args.n} feedback items in {time.perf_counter() - t:.1f} s (not timed)")
    t, cpu = time.perf_counter(), time.process_time()
    with transaction(engine) as s:
        result = run_rules(s)
    first, first_cpu = time.perf_counter() - t, time.process_time() - cpu
    t = time.perf_counter()
    with transaction(engine) as s:
        second = run_rules(s)
    again = time.perf_counter() - t
    with transaction(engine) as s:
        cases = s.scalar(select(func.count()).select_from(Case))
        matches = s.scalar(select(func.count()).select_from(RuleMatch))
        outbox = s.scalar(select(func.count()).select_from(OutboxMessage))
    print(
        f"machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; database: {engine.dialect.name}"
    )
    print(f"rules: {len(result.rules)}; feedback evaluated: {result.evaluated}")
    print(f"matches: {matches}; cases opened: {cases}; outbox messages: {outbox}")
    print("phases (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.seconds.items()))
    print(
        f"FIRST RUN (all {result.evaluated} new, incl. commit): wall {first:.2f} s, "
        f"CPU {first_cpu:.2f} s of this process (target <= 10 s wall)"
    )
    print(f"second run (nothing new: {second.evaluated} rows in the overlap window): {again:.2f} s")


if __name__ == "__main__":
    main()
