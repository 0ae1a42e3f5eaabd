"""Rules from YAML to cases: import checks, the engine's exactly-once promise, routing,
notifications through the outbox, tags, ``rules test`` and interrupted runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cxloop.errors import InputError, NotFoundError, ValidationError
from cxloop.loop import rules as rule_service
from cxloop.loop.engine import run_rules
from cxloop.loop.routing import add_route
from cxloop.people.teams import create_team
from cxloop.people.users import create_user
from cxloop.storage.db import transaction
from cxloop.storage.models import Enrichment, FeedbackTheme
from cxloop.storage.models.delivery import OutboxMessage, WebhookEndpoint
from cxloop.storage.models.loop import Case, CaseEvent, FeedbackTag, RuleMatch

ISSUE_RULES = """
rules:
  - name: detractor-delivery
    when: "nps <= 6 and 'Delivery' in themes"
    then:
      open_case: {priority: high, team: logistics, sla_first_response: 4h, sla_resolution: 3d}
      notify: ["email:ops-lead@example.com", "webhook:ops"]
  - name: enterprise-churn-risk
    description: at-risk big accounts
    when: "churn_risk and segment == 'Enterprise' and revenue >= 100000"
    then:
      open_case: {priority: urgent, sla_first_response: 1h}
      tag: [at-risk]
  - name: first-feedback
    when: "first_feedback and sentiment == 'negative'"
    then:
      tag: [first-impression]
"""


@pytest.fixture
def workspace(world, engine):
    with transaction(engine) as s:
        create_user(s, email="boss@example.com", role="manager")
        create_team(s, "logistics", manager_email="boss@example.com")
        create_team(s, "key-accounts")
        create_user(s, email="kam@example.com", role="agent", team="key-accounts")
        s.add(WebhookEndpoint(name="ops", url="http://127.0.0.1:9/hook", secret="s3cret"))
        add_route(s, "segment", "Enterprise", user="kam@example.com")
        add_route(s, "theme", "Delivery", team="logistics")
    return world


def _import(engine, text=ISSUE_RULES):
    with transaction(engine) as s:
        return rule_service.import_rules(s, rule_service.parse_rules_yaml(text))


def _count(engine, model):
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_issue_rules_import_and_export_round_trip(workspace, engine):
    result = _import(engine)
    assert result.created == ["detractor-delivery", "enterprise-churn-risk", "first-feedback"]
    with transaction(engine) as s:
        exported = rule_service.export_rules(s)
    again = _import(engine, exported)
    assert again.unchanged == result.created and not again.updated
    assert "nps <= 6 and 'Delivery' in themes" in exported


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("rules:\n  - name: x\n    when: 'nps <= 6\n", InputError, "malformed YAML at line"),
        ("rulez: []", InputError, "top-level 'rules:'"),
        (
            "rules:\n  - name: bad\n    when: \"nps <= 6 and mood == 'sad'\"\n    then: {}\n",
            ValidationError,
            r"rule 1 \(bad\).*unknown field 'mood'",
        ),
        (
            "rules:\n  - name: bad\n    when: nps <= 6\n"
            "    then: {open_case: {sla_resolution: soon}}\n",
            ValidationError,
            r"sla_resolution.*not a duration",
        ),
        (
            "rules:\n  - name: bad\n    when: nps <= 6\n    then: {open_case: {priority: meh}}\n",
            ValidationError,
            r"priority",
        ),
        (
            "rules:\n  - name: bad\n    when: nps <= 6\n    then: {notify: ['sms:123']}\n",
            ValidationError,
            r"email:ADDRESS or webhook:NAME",
        ),
        (
            "rules:\n  - name: bad\n    when: nps <= 6\n    then: {explode: true}\n",
            ValidationError,
            r"then.explode",
        ),
        (
            "rules:\n  - {name: a, when: nps <= 6, then: {}}\n"
            "  - {name: a, when: nps <= 5, then: {}}\n",
            ValidationError,
            "used twice",
        ),
    ],
)
def test_bad_rule_files_are_rejected_with_the_rule_and_field(text, error, words):
    with pytest.raises(error, match=words):
        rule_service.parse_rules_yaml(text)


@pytest.mark.parametrize(
    ("then", "words"),
    [
        ("{open_case: {team: ghosts}}", "unknown team 'ghosts'"),
        ("{open_case: {assignee: ghost@example.com}}", "unknown assignee 'ghost@example.com'"),
        ("{notify: ['webhook:nowhere']}", "webhook 'nowhere' is not configured"),
    ],
)
def test_unknown_references_fail_the_whole_import(workspace, engine, then, words):
    text = ISSUE_RULES + f"  - name: broken\n    when: nps <= 6\n    then: {then}\n"
    with pytest.raises(NotFoundError, match=words):
        _import(engine, text)
    with transaction(engine) as s:
        assert rule_service.list_rules(s) == []  # all or nothing


def test_run_opens_routes_notifies_and_tags_exactly_once(workspace, engine):
    w = workspace
    late = w.add_feedback(
        "late",
        customer="C2",
        nps=3,
        themes={"Delivery": "negative"},
        sentiment="negative",
        text="my parcel came late",
    )
    w.add_feedback(
        "happy", customer="C2", nps=9, themes={"Delivery": "positive"}, sentiment="positive"
    )
    risk = w.add_feedback("risk", customer="C1", nps=5, sentiment="negative", churn_risk=True)
    _import(engine)
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with transaction(engine) as s:
        result = run_rules(s, now=now)
    by_rule = {r.rule: r for r in result.rules}
    assert result.evaluated == 3
    assert by_rule["detractor-delivery"].cases_opened == 1
    assert by_rule["detractor-delivery"].notifications == 2
    assert by_rule["enterprise-churn-risk"].cases_opened == 1
    # C2's first feedback is "late" (negative); C1's first is "risk" (negative)
    assert by_rule["first-feedback"].tagged == 2

    with transaction(engine) as s:
        cases = {c.feedback_id: c for c in s.scalars(select(Case))}
        delivery, churn = cases[late], cases[risk]
        assert (delivery.priority, delivery.status) == ("high", "new")
        assert delivery.first_response_due_at == now + timedelta(hours=4)
        assert delivery.resolution_due_at == now + timedelta(days=3)
        assert churn.priority == "urgent" and churn.tags == ["at-risk"]
        assert churn.assignee_id is not None  # routed by segment=Enterprise to kam@
        assert churn.customer_id == w.customers["C1"]
        created = s.scalars(select(CaseEvent).where(CaseEvent.case_id == churn.id)).one()
        assert created.actor == "rule:enterprise-churn-risk"
        assert created.data["routed_by"] == "segment=Enterprise"
        mails = s.scalars(select(OutboxMessage).order_by(OutboxMessage.channel)).all()
        assert [(m.channel, m.target) for m in mails] == [
            ("email", "ops-lead@example.com"),
            ("webhook", "ops"),
        ]
        assert mails[0].payload["case_reference"] == delivery.reference
        assert mails[0].case_id == delivery.id
        assert "my parcel came late" in mails[0].payload["text"]
        tags = s.execute(select(FeedbackTag.feedback_id, FeedbackTag.tag)).all()
        assert sorted(tags) == sorted(
            [(late, "first-impression"), (risk, "first-impression"), (risk, "at-risk")]
        )

    # running again (new-only, then everything) changes nothing
    with transaction(engine) as s:
        assert run_rules(s).cases_opened == 0
    with transaction(engine) as s:
        again = run_rules(s, everything=True)
        assert again.cases_opened == 0 and sum(r.notifications for r in again.rules) == 0
    assert _count(engine, Case) == 2 and _count(engine, OutboxMessage) == 2


def test_re_enriched_feedback_is_evaluated_again(workspace, engine):
    fid = workspace.add_feedback("f", customer="C3", nps=2)  # not enriched yet: no themes
    _import(engine)
    with transaction(engine) as s:
        assert run_rules(s).cases_opened == 0
    with transaction(engine) as s:  # the enrichment engine finds the Delivery theme later
        s.add(
            Enrichment(
                feedback_id=fid,
                model_version="v2",
                content_hash="f",
                sentiment_label="negative",
                sentiment_score=-0.5,
                enriched_at=datetime.now(UTC) + timedelta(seconds=1),
            )
        )
        s.add(
            FeedbackTheme(
                feedback_id=fid,
                theme_id=workspace.themes["Delivery"],
                confidence=0.8,
                sentiment_label="negative",
                sentiment_score=-0.5,
            )
        )
    with transaction(engine) as s:
        result = run_rules(s)
        assert {r.rule: r.cases_opened for r in result.rules}["detractor-delivery"] == 1
        case = s.scalars(select(Case)).one()
        team = s.get(__import__("cxloop.storage.models", fromlist=["Team"]).Team, case.team_id)
        assert team.name == "logistics"


def test_an_interrupted_run_leaves_nothing_and_the_rerun_acts_once(workspace, engine, monkeypatch):
    workspace.add_feedback("late", nps=1, themes={"Delivery": "negative"}, sentiment="negative")
    _import(engine)
    import cxloop.loop.outbox as outbox

    def killed(*_a, **_k):
        raise OSError("killed mid-run")

    with monkeypatch.context() as patched:  # the process "dies" while queuing notifications
        patched.setattr(outbox, "enqueue", killed)
        patched.setattr(outbox, "enqueue_many", killed, raising=False)
        with pytest.raises(OSError), transaction(engine) as s:
            run_rules(s)
    assert _count(engine, Case) == 0 and _count(engine, RuleMatch) == 0
    with transaction(engine) as s:
        run_rules(s)
    with transaction(engine) as s:
        run_rules(s, everything=True)
    assert _count(engine, Case) == 1 and _count(engine, OutboxMessage) == 2


def test_hook_for_given_feedback_ids(workspace, engine):
    a = workspace.add_feedback("a", nps=1, themes={"Delivery": "negative"})
    workspace.add_feedback("b", nps=1, themes={"Delivery": "negative"})
    _import(engine)
    with transaction(engine) as s:
        result = run_rules(s, feedback_ids=[a], rule_names=["detractor-delivery"])
    assert result.evaluated == 1 and result.cases_opened == 1


def test_cli_rules_import_list_test_and_loop_run(cli, workspace, engine, tmp_path):
    w = workspace
    w.add_feedback(
        "old", nps=2, themes={"Delivery": "negative"}, received_at=datetime(2025, 12, 1, tzinfo=UTC)
    )
    w.add_feedback(
        "new", nps=4, themes={"Delivery": "negative"}, received_at=datetime(2026, 2, 1, tzinfo=UTC)
    )
    path = tmp_path / "rules.yaml"
    path.write_text(ISSUE_RULES)
    out = cli("rules", "import", str(path), "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["created"][0] == "detractor-delivery"
    listed = json.loads(cli("rules", "list", "--format", "json").stdout)
    assert [r["name"] for r in listed] == [
        "detractor-delivery",
        "enterprise-churn-risk",
        "first-feedback",
    ]
    preview = cli(
        "rules", "test", "detractor-delivery", "--since", "2026-01-01", "--format", "json"
    )
    assert preview.exit_code == 0, preview.stderr
    data = json.loads(preview.stdout)
    assert (data["evaluated"], data["matched"], data["would_act_on"]) == (1, 1, 1)
    assert _count(engine, Case) == 0 and _count(engine, RuleMatch) == 0  # a test writes nothing
    # a rule not yet imported can be tested from its file
    (tmp_path / "draft.yaml").write_text(
        "rules:\n  - name: draft\n    when: nps <= 2\n    then: {}\n"
    )
    draft = cli(
        "rules", "test", "draft", "--file", str(tmp_path / "draft.yaml"), "--format", "json"
    )
    assert json.loads(draft.stdout)["matched"] == 1
    run = cli("loop", "run", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["cases_opened"] == 2
    again = json.loads(cli("rules", "test", "detractor-delivery", "--format", "json").stdout)
    assert again["already_matched"] == 2 and again["would_act_on"] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - name: bad\n    when: \"nps <= 6 and vibe == 'off'\"\n    then: {}\n"
    )
    err = cli("rules", "import", str(bad))
    assert err.exit_code != 0 and "unknown field 'vibe'" in err.stderr
    assert cli("rules", "test", "nope").exit_code != 0
    exported = cli("rules", "export")
    assert "detractor-delivery" in exported.stdout and "webhook:ops" in exported.stdout


def test_auto_run_hook_only_when_switched_on(cli, workspace, engine):
    from cxloop.loop.engine import run_rules_if_enabled

    fid = workspace.add_feedback("a", nps=1, themes={"Delivery": "negative"})
    _import(engine)
    with transaction(engine) as s:
        assert run_rules_if_enabled(s, [fid]) is None
    assert _count(engine, Case) == 0
    out = cli("loop", "auto", "--on")
    assert out.exit_code == 0 and "on" in out.stdout
    with transaction(engine) as s:
        assert run_rules_if_enabled(s, [fid]).cases_opened == 1


def test_a_single_rule_run_does_not_hide_new_feedback_from_the_others(workspace, engine):
    from sqlalchemy import update

    from cxloop.storage.models import Feedback

    old = workspace.add_feedback("old", customer="C1", nps=5, churn_risk=True, sentiment="negative")
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with transaction(engine) as s:  # stored an hour ago, not evaluated yet
        s.execute(update(Feedback).where(Feedback.id == old).values(updated_at=hour_ago))
        s.execute(
            update(Enrichment).where(Enrichment.feedback_id == old).values(enriched_at=hour_ago)
        )
    workspace.add_feedback("new", customer="C2", nps=9)
    _import(engine)
    with transaction(engine) as s:
        only = run_rules(s, rule_names=["detractor-delivery"])
        assert [r.rule for r in only.rules] == ["detractor-delivery"]
    with transaction(engine) as s:
        rest = {r.rule: r.cases_opened for r in run_rules(s).rules}
    assert rest["enterprise-churn-risk"] == 1


def test_routing_skips_a_deactivated_owner(workspace, engine):
    from cxloop.people.users import get_user, set_active

    fid = workspace.add_feedback(
        "risk", customer="C1", nps=5, churn_risk=True, sentiment="negative"
    )
    _import(engine)
    with transaction(engine) as s:
        set_active(s, get_user(s, "kam@example.com"), False)
    with transaction(engine) as s:
        run_rules(s)
        case = s.scalars(select(Case).where(Case.feedback_id == fid)).one()
        assert case.assignee_id is None  # the segment route to kam@ is ignored
