"""Theme discovery finds what the taxonomy misses, and says so when the corpus is too small."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from discovery_seed import load_workspace
from sqlalchemy import select

from cxloop.errors import ConflictError, NotEstimable
from cxloop.storage.db import transaction
from cxloop.storage.models import Theme, ThemeProposal
from cxloop.text.discovery import DiscoveryInput, discover_themes, theme_overlaps
from cxloop.text.proposals import accept_proposal, discover_for_workspace, reject_proposal
from cxloop.text.types import ThemeDefinition

TAXONOMY = [
    ThemeDefinition("Delivery", "orders arriving late or lost", ("delivery", "courier", "parcel")),
    ThemeDefinition("Billing and refunds", "wrong charges", ("charged", "refund", "invoice")),
    ThemeDefinition("Customer service", "agents and support", ("support", "agent", "service")),
    ThemeDefinition("Website and app", "the app and site", ("app", "website", "login")),
]
KNOWN = {
    "Delivery": [
        "my parcel {adv} arrived {late}",
        "the courier {adv} left the parcel outside",
        "delivery was {late} {adv}",
        "courier lost my parcel {adv}",
    ],
    "Billing and refunds": [
        "I was charged twice {adv}",
        "still waiting for my refund {adv}",
        "the invoice is wrong {adv}",
        "refund took {late} to arrive",
    ],
    "Customer service": [
        "the support agent was {adj} {adv}",
        "service agent {adv} hung up",
        "support never answered {adv}",
        "the agent was {adj} and slow",
    ],
    "Website and app": [
        "the app {adv} crashes at login",
        "website login fails {adv}",
        "the app is {adj} and freezes",
        "cannot login to the website {adv}",
    ],
}
PLANTED = [
    "so much plastic packaging for one small item, wasteful {adv}",
    "everything was wrapped in plastic, the packaging is wasteful",
    "please use less plastic packaging {adv}",
    "the plastic packaging went straight in the bin, so wasteful",
    "too much plastic packaging in the box {adv}",
]
FILL = {
    "adv": ["", "again", "today", "honestly", "as usual", "this week", "once more"],
    "late": ["late", "two days late", "very late", "a week late"],
    "adj": ["rude", "unhelpful", "dismissive", "confused", "slow"],
}


def corpus(n: int, planted_share: float, seed: int = 1) -> list[DiscoveryInput]:
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        if rng.random() < planted_share:
            template = PLANTED[rng.integers(len(PLANTED))]
        else:
            group = list(KNOWN.values())[rng.integers(len(KNOWN))]
            template = group[rng.integers(len(group))]
        text = template.format(**{k: v[rng.integers(len(v))] for k, v in FILL.items()})
        out.append(DiscoveryInput(i, text, start + timedelta(hours=i), "negative"))
    return out


def test_finds_planted_theme_of_one_percent_and_not_the_covered_ones():
    result = discover_themes(corpus(10000, 0.01), TAXONOMY)
    assert result.proposals, "the planted theme was not found"
    top = result.proposals[0]
    assert {"plastic", "packaging"} & set(" ".join(top.keywords).split())
    assert 60 <= top.size <= 130  # about 1% of 10,000
    assert len(top.examples) == 5
    assert all("plastic" in e["text"] or "packaging" in e["text"] for e in top.examples)
    assert top.negative_share == 1.0
    covered = " ".join(" ".join(p.keywords) for p in result.proposals)
    assert "courier" not in covered and "refund" not in covered


def test_tiny_or_empty_corpus_is_refused_not_invented():
    with pytest.raises(NotEstimable, match="at least"):
        discover_themes(corpus(30, 0.5), TAXONOMY)
    with pytest.raises(NotEstimable):
        discover_themes([], TAXONOMY)


def test_overlapping_definitions_are_reported():
    shipping = ThemeDefinition("Shipping", "deliveries arriving late", ("delivery", "courier"))
    pairs = theme_overlaps([*TAXONOMY, shipping])
    assert [(p["theme_a"], p["theme_b"]) for p in pairs] == [("Delivery", "Shipping")]


def _is_planted(proposal) -> bool:
    return any("plastic" in k or "packaging" in k for k in proposal.keywords)


def test_proposals_are_stored_accepted_and_rejections_remembered(engine):
    load_workspace(engine, TAXONOMY, corpus(3000, 0.03, seed=3))
    _, stored = discover_for_workspace(engine)
    assert stored and any(_is_planted(p) for p in stored)
    planted = next(p for p in stored if _is_planted(p))
    theme = accept_proposal(engine, planted.id, name="Packaging waste", parent="Delivery")
    with transaction(engine) as s:
        row = s.scalar(select(Theme).where(Theme.name == "Packaging waste"))
        assert row is not None and row.origin == "discovered" and len(row.examples) == 5
        assert row.parent_id == s.scalar(select(Theme.id).where(Theme.name == "Delivery"))
        assert s.get(ThemeProposal, planted.id).status == "accepted"
    assert theme.name == "Packaging waste"
    with pytest.raises(ConflictError):
        accept_proposal(engine, planted.id)

    # Now the taxonomy covers it: a re-run no longer proposes it.
    _, again = discover_for_workspace(engine)
    assert not any(_is_planted(p) for p in again)


def test_rejected_proposal_is_not_proposed_again(engine):
    load_workspace(engine, TAXONOMY, corpus(3000, 0.03, seed=4))
    _, stored = discover_for_workspace(engine)
    planted = next(p for p in stored if _is_planted(p))
    reject_proposal(engine, planted.id)
    _, again = discover_for_workspace(engine)
    assert not any(_is_planted(p) for p in again)
    with transaction(engine) as s:
        assert s.get(ThemeProposal, planted.id).status == "rejected"


def test_cli_discover_on_empty_workspace_explains(cli):
    assert cli("init").exit_code == 0
    result = cli("themes", "discover")
    assert result.exit_code != 0
    assert "usable sentences" in result.stderr


def test_word_cooccurrence_finds_subject_and_ignores_feelings():
    from cxloop.text.discovery import _cooccurrence_topics

    rng = np.random.default_rng(5)
    sentences = []
    for i in range(3000):
        r = rng.random()
        if r < 0.03:
            sentences.append(f"so much plastic packaging in order {i}")
        elif r < 0.3:
            sentences.append(f"overall pleased and impressed with order {i}")
        else:
            sentences.append(f"my parcel arrived late again number {i}")
    feelings = {"pleased", "impressed"}
    topics = _cooccurrence_topics(
        sentences, TAXONOMY, 20, lambda words: np.array([w in feelings for w in words])
    )
    found = [set(words) for words, _, _ in topics]
    assert {"plastic", "packaging"} <= found[0] and len(found) == 1
    _, idx, _ = topics[0]
    assert all("plastic" in sentences[i] for i in idx)
