"""Teaching by correction: taught sentiment heads and theme examples, honoured corrections,
versions, active learning."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from cxloop.errors import InputError, NotFoundError
from cxloop.storage.db import transaction
from cxloop.storage.models import Enrichment, Feedback, ModelVersion, Source, TaughtExample, Theme
from cxloop.text.backends import get_backend
from cxloop.text.learning import correct_feedback, teach, uncertain_examples
from cxloop.text.model_registry import backend_for_workspace, rollback, use_version
from cxloop.text.taxonomy import load_taxonomy
from cxloop.text.teach import LabelledExample
from cxloop.text.types import ThemeDefinition

# A domain whose words the out-of-the-box model has never seen: "zorbed" means broken.
NEG = [
    "the widget zorbed {x}",
    "mine zorbed {x}",
    "zorbed again {x}",
    "it zorbed {x} sadly",
    "another unit zorbed {x}",
    "totally zorbed {x}",
]
POS = [
    "the widget glimmed {x}",
    "mine glimmed {x}",
    "glimmed perfectly {x}",
    "it glimmed {x} nicely",
    "another unit glimmed {x}",
    "totally glimmed {x}",
]
FILLERS = [
    "today",
    "this morning",
    "after a week",
    "on day one",
    "at the office",
    "yesterday",
    "in the kitchen",
    "twice",
]


def domain_examples(n_per_class: int, seed: int = 0) -> list[LabelledExample]:
    rng = np.random.default_rng(seed)
    out = []
    for label, templates in (("negative", NEG), ("positive", POS)):
        for _ in range(n_per_class):
            t = templates[rng.integers(len(templates))].format(
                x=FILLERS[rng.integers(len(FILLERS))]
            )
            out.append(LabelledExample(t, label))
    return out


@pytest.fixture(scope="module")
def fast():
    return get_backend("fast")


def _seed(engine, texts=("my parcel never arrived",)):
    with transaction(engine) as s:
        src = Source(name="survey")
        s.add(src)
        s.flush()
        for name, kws in (
            ("Delivery", ["delivery", "parcel", "courier"]),
            ("Billing and refunds", ["refund", "charged", "invoice"]),
        ):
            s.add(Theme(name=name, description=name, keywords=kws))
        rows = [
            Feedback(source_id=src.id, dedup_key=str(i), content_hash="h", text=t)
            for i, t in enumerate(texts)
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def _versions(engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(ModelVersion))


def test_teaching_moves_predictions_on_unseen_texts(engine, fast):
    _seed(engine)
    held_out = ["my unit zorbed in the garage", "the widget glimmed in the garage"]
    examples = domain_examples(30)
    result = teach(engine, examples, "sentiment", backend=fast)
    assert result["version"] == "v1"
    assert result["n"] == len({e.text for e in examples})  # duplicates are stored once
    taught = backend_for_workspace(engine, "fast")
    assert taught.version != fast.version and "sv1" in taught.version
    labels = [s.label for s in taught.sentiment(held_out)]
    assert labels == ["negative", "positive"]


def test_correction_is_honoured_and_stored(engine, fast):
    text = "Delivery was on time and the driver was friendly"
    [fid] = _seed(engine, [text])
    with transaction(engine) as s:
        s.add(
            Enrichment(
                feedback_id=fid,
                model_version="x",
                content_hash="h",
                sentiment_label="positive",
                sentiment_score=0.8,
            )
        )
    out = correct_feedback(engine, fid, sentiment="negative", add_themes=["Delivery"])
    assert out["applied"]
    with transaction(engine) as s:
        assert s.get(Enrichment, fid).sentiment_label == "negative"
        assert (
            s.scalar(select(TaughtExample.origin).where(TaughtExample.task == "sentiment"))
            == "correction"
        )
    assert backend_for_workspace(engine, "fast").sentiment([text])[0].label == "negative"


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        ([LabelledExample("a", "negative")], "at least two"),
        ([LabelledExample("good", "negative"), LabelledExample("bad", "negative")], "same label"),
        (
            [LabelledExample("same text", "negative"), LabelledExample("same text", "positive")],
            "contradictory",
        ),
        ([LabelledExample("x", "angry"), LabelledExample("y", "negative")], "vocabulary"),
    ],
)
def test_bad_teaching_input_changes_nothing(engine, fast, examples, message):
    _seed(engine)
    with pytest.raises(InputError, match=message):
        teach(engine, examples, "sentiment", backend=fast)
    assert _versions(engine) == 0
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(TaughtExample)) == 0


def test_theme_label_outside_taxonomy_is_refused(engine, fast):
    _seed(engine)
    with pytest.raises(InputError, match="taxonomy"):
        teach(
            engine,
            [LabelledExample("a", "Delivery"), LabelledExample("b", "Parking")],
            "themes",
            backend=fast,
        )


def test_taught_theme_examples_join_the_definitions_and_roll_back(engine, fast):
    """Taught examples reach the theme classifier through the definitions it is given; the
    stored taxonomy is left as written, so a rollback takes the examples back."""
    from cxloop.text.taxonomy import load_taxonomy

    _seed(engine)
    tax = load_taxonomy(engine, seed=False)
    text = "the zorbing gizmo again"
    before = [m.name for m in fast.themes([text], tax)[0]]
    assert before == []  # no name, description or keyword says what a zorbing gizmo is
    ex = [LabelledExample(f"the zorbing gizmo {x}", "Billing and refunds") for x in FILLERS]
    ex += [LabelledExample(f"the gizmo van came {x}", "Delivery") for x in FILLERS]
    result = teach(engine, ex, "themes", backend=fast)
    assert result["themes"] == 2 and result["texts"] == 16
    taught = backend_for_workspace(engine, "fast")
    assert "tv1" in taught.version
    assert next(m.name for m in taught.themes([text], tax)[0]) == "Billing and refunds"
    assert next(m.name for m in taught.themes(["the gizmo van came late"], tax)[0]) == "Delivery"
    stored = load_taxonomy(engine, seed=False)
    assert not any("gizmo" in e for t in stored for e in t.examples)
    from cxloop.text.taxonomy import list_themes

    counts = {r["name"]: (r["examples"], r["taught"]) for r in list_themes(engine)}
    assert counts["Billing and refunds"][1] == 8 and counts["Delivery"][1] == 8
    with transaction(engine) as s:
        assert rollback(s, "themes") is None
    untaught = backend_for_workspace(engine, "fast")
    assert untaught.version == fast.version
    assert {r["taught"] for r in list_themes(engine)} == {0}
    assert [m.name for m in untaught.themes([text], tax)[0]] == before


def test_theme_examples_keep_the_newest_fifty_after_the_definitions_own():
    from cxloop.text.teach import MAX_THEME_EXAMPLES, ThemeExamples
    from cxloop.text.types import ThemeDefinition

    texts = [f"parcel {i} was late" for i in range(60)]
    taught = ThemeExamples().fit([*texts, texts[0]], [{"Delivery"}] * 61)
    assert taught.examples_["Delivery"] == texts[-MAX_THEME_EXAMPLES:]
    tax = [
        ThemeDefinition("Delivery", examples=("my own example",)),
        ThemeDefinition("Price", examples=("too dear",)),
    ]
    applied = taught.apply(tax)
    assert applied[0].examples == tuple(texts[-MAX_THEME_EXAMPLES:])  # the newest win
    assert applied[1] == tax[1]
    few = ThemeExamples().fit(["late again"], [{"Delivery"}]).apply(tax)
    assert few[0].examples == ("my own example", "late again")


def test_versions_use_and_rollback(engine, fast):
    _seed(engine)
    teach(engine, domain_examples(10), "sentiment", backend=fast)
    teach(engine, domain_examples(10, seed=1), "sentiment", backend=fast)
    with transaction(engine) as s:
        assert rollback(s, "sentiment") == "v1"
    assert "sv1" in backend_for_workspace(engine, "fast").version
    with transaction(engine) as s:
        assert rollback(s, "sentiment") is None
    assert backend_for_workspace(engine, "fast").version == fast.version
    with transaction(engine) as s, pytest.raises(NotFoundError):
        rollback(s, "sentiment")
    with transaction(engine) as s, pytest.raises(NotFoundError):
        use_version(s, "sentiment", "v9")


def test_uncertain_queue_returns_distinct_untaught_items(engine, fast):
    texts = [t.text for t in domain_examples(40)] + ["ok I guess", "not sure how I feel"] * 5
    _seed(engine, texts)
    rows = uncertain_examples(engine, "sentiment", 10, backend=fast)
    assert len(rows) == 10
    assert len({r["feedback_id"] for r in rows}) == 10
    assert all(0.0 <= r["uncertainty"] <= 1.0 for r in rows)
    assert rows == sorted(rows, key=lambda r: -r["uncertainty"])


def test_cli_teach_models_and_uncertain(cli, tmp_path):
    assert cli("init").exit_code == 0
    path = tmp_path / "labels.csv"
    pd.DataFrame([{"comment": e.text, "label": e.label} for e in domain_examples(8)]).to_csv(
        path, index=False
    )
    r = cli(
        "text",
        "teach",
        path,
        "--text-column",
        "comment",
        "--label-column",
        "label",
        "--task",
        "sentiment",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    assert '"version": "v1"' in r.stdout
    r = cli("text", "models", "list", "--format", "json")
    assert '"active": true' in r.stdout
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"comment": ["a", "b"], "label": ["negative", "furious"]}).to_csv(bad, index=False)
    r = cli(
        "text",
        "teach",
        bad,
        "--text-column",
        "comment",
        "--label-column",
        "label",
        "--task",
        "sentiment",
    )
    assert r.exit_code != 0 and "furious" in r.stderr
    r = cli(
        "text",
        "teach",
        path,
        "--text-column",
        "nope",
        "--label-column",
        "label",
        "--task",
        "sentiment",
    )
    assert r.exit_code != 0 and "nope" in r.stderr
    assert cli("text", "models", "rollback", "--task", "sentiment").exit_code == 0


def test_enrich_uses_taught_model_and_rollback_rescoring(engine, settings, fast):
    from cxloop.text.enrich import enrich_workspace

    texts = ["my unit zorbed in the garage", "the widget glimmed in the garage"]
    ids = _seed(engine, texts)
    first = enrich_workspace(engine, settings, "fast", progress=False)
    assert first.enriched == 2
    teach(engine, domain_examples(30), "sentiment", backend=fast)
    second = enrich_workspace(engine, settings, "fast", progress=False)
    assert second.enriched == 2 and "sv1" in second.model_version
    with transaction(engine) as s:
        labels = [s.get(Enrichment, i).sentiment_label for i in ids]
    assert labels == ["negative", "positive"]
    assert enrich_workspace(engine, settings, "fast", progress=False).enriched == 0
    with transaction(engine) as s:
        rollback(s, "sentiment")
    back = enrich_workspace(engine, settings, "fast", progress=False)
    assert back.enriched == 2 and "sv1" not in back.model_version


def test_removed_theme_stays_removed_after_reenrichment(engine, settings):
    from cxloop.storage.models import FeedbackTheme
    from cxloop.text.enrich import enrich_workspace

    [fid] = _seed(engine, ["my parcel never arrived and the courier lied"])
    enrich_workspace(engine, settings, "fast", progress=False)
    with transaction(engine) as s:
        delivery = s.scalar(select(Theme.id).where(Theme.name == "Delivery"))
        assert s.get(FeedbackTheme, (fid, delivery)) is not None
    correct_feedback(engine, fid, remove_themes=["Delivery"], add_themes=["Billing and refunds"])
    with transaction(engine) as s:  # force a re-score of this row
        s.get(Enrichment, fid).model_version = "old"
    enrich_workspace(engine, settings, "fast", progress=False)
    with transaction(engine) as s:
        assert s.get(FeedbackTheme, (fid, delivery)) is None
        billing = s.scalar(select(Theme.id).where(Theme.name == "Billing and refunds"))
        assert s.get(FeedbackTheme, (fid, billing)) is not None


def test_taught_analyse_equals_separate_calls_and_featurises_once(fast):
    """The pipeline's one-pass ``analyse`` gives what ``sentiment`` + ``themes`` give."""
    from cxloop.text.model_registry import TaughtBackend
    from cxloop.text.teach import fit_sentiment_head
    from cxloop.text.types import ThemeDefinition

    head, _ = fit_sentiment_head(fast, domain_examples(10))
    taught = TaughtBackend(base=fast, sentiment_head=head)
    texts = ["the widget zorbed twice", "my parcel never arrived", "how do I reset my password?"]
    taxonomy = [ThemeDefinition("Delivery", "delivery", ("parcel", "courier"))]
    fast.classifier(taxonomy)  # fitted (its anchors featurised) before counting
    calls: list[int] = []
    original = fast.featurize

    class Counting:
        def __call__(self, batch):
            calls.append(len(batch))
            return original(batch)

    fast.featurize = Counting()
    try:
        one_pass = taught.analyse(texts, taxonomy)
    finally:
        fast.featurize = original
    assert one_pass == (taught.sentiment(texts), taught.themes(texts, taxonomy))
    assert calls == [len(texts)]  # base probabilities, head features and themes share it
    assert fast.featurize is original


class _WiderFeatures:
    """The fast backend under its own name, with one more feature column: what a backend
    pointed at another transformer folder, or a release with other feature blocks, gives."""

    def __init__(self, base):
        self.base, self.name, self.version = base, base.name, base.version + "-wider"

    def encode(self, texts):
        vectors = self.base.encode(texts)
        return np.hstack([vectors, np.zeros((len(vectors), 1), dtype=vectors.dtype)])

    def __getattr__(self, attr):
        return getattr(self.base, attr)


def test_a_taught_head_for_features_of_another_size_is_not_applied(engine, fast, caplog):
    from cxloop.text.model_registry import wrap_backend

    _seed(engine)
    teach(engine, domain_examples(30), "sentiment", backend=fast)
    teach(
        engine,
        [LabelledExample(f"the courier left my parcel {x}", "Delivery") for x in FILLERS[:3]]
        + [LabelledExample(f"I was charged twice {x}", "Billing and refunds") for x in FILLERS[:3]],
        "themes",
        backend=fast,
    )
    assert "sv1" in wrap_backend(engine, fast).version  # fits its own base
    wider = _WiderFeatures(fast)
    with caplog.at_level("WARNING", logger="cxloop.text.model_registry"):
        wrapped = wrap_backend(engine, wider)
    assert "sv1" not in wrapped.version
    assert "tv1" in wrapped.version  # theme examples are text: they apply to any base
    assert "teach again" in caplog.text and "sentiment" in caplog.text
    texts = ["my parcel never arrived", "the widget glimmed today"]
    assert [s.label for s in wrapped.sentiment(texts)] == [s.label for s in fast.sentiment(texts)]


def test_a_theme_head_stored_by_an_older_release_is_read_as_no_examples(engine, fast):
    """Theme versions taught before 2026-11-24 (ninth session) hold a head; their examples
    were written into the definitions then. Such a version loads, adds nothing, and the
    workspace scores as before."""
    import io
    import json

    from cxloop.text.model_registry import wrap_backend

    _seed(engine)
    buf = io.BytesIO()
    meta = {"kind": "themes", "themes": ["Delivery"], "C": 4.0, "threshold": 0.5}
    np.savez_compressed(
        buf, coef=np.zeros((1, 3)), intercept=np.zeros(1), meta=np.array(json.dumps(meta))
    )
    with transaction(engine) as s:
        s.add(
            ModelVersion(
                task="themes",
                version="v1",
                backend="fast",
                n_examples=4,
                metrics={},
                blob=buf.getvalue(),
                active=True,
            )
        )
    assert wrap_backend(engine, fast) is fast


def test_one_theme_correction_teaches_that_theme(engine, fast):
    """A theme needs no second class: the first correction that adds a theme makes a version
    whose example joins the theme (a sentiment head still needs two classes)."""
    text = "the zorbing gizmo wobbled off the van"
    [fid] = _seed(engine, [text])
    out = correct_feedback(engine, fid, add_themes=["Delivery"])
    assert [r["task"] for r in out["refitted"]] == ["themes"] and "notes" not in out
    taught = backend_for_workspace(engine, "fast")
    assert "tv1" in taught.version
    assert taught.theme_examples is not None
    assert taught.theme_examples.examples_ == {"Delivery": [text]}
    from cxloop.text.teach import validate_examples

    with pytest.raises(InputError, match="no theme example"):
        validate_examples([], "themes", ["Delivery"])


def test_a_removed_theme_teaches_similar_texts_but_not_unrelated_ones(engine, fast):
    """Before 2026.11.10 a "remove theme" correction held for that one text only. Now the
    text is a counter-example of the theme: texts nearer it than to the theme's own
    definition lose the theme, texts about the theme keep it."""
    texts = [
        "the courier was rude to my neighbour",  # corrected: about staff, not delivery
        "the courier was very rude to my neighbour",  # a paraphrase: should follow
        "my parcel never arrived",  # about delivery: must keep it
    ]
    ids = _seed(engine, texts)
    taxonomy = load_taxonomy(engine, seed=False)
    before = fast.themes(texts, taxonomy)
    assert all("Delivery" in [m.name for m in found] for found in before), before
    out = correct_feedback(engine, ids[0], remove_themes=["Delivery"])
    assert [r["task"] for r in out["refitted"]] == ["themes"], out
    assert out["refitted"][0]["counter_examples"] == 1
    taught = backend_for_workspace(engine, "fast")
    assert taught.theme_examples is not None
    assert taught.theme_examples.counter_examples_ == {"Delivery": [texts[0]]}
    from cxloop.text.taxonomy import list_themes

    listed = {r["name"]: (r["taught"], r["taught_not"]) for r in list_themes(engine)}
    assert listed["Delivery"] == (0, 1)
    after = taught.themes(texts[1:], taxonomy)
    assert "Delivery" not in [m.name for m in after[0]], after
    assert "Delivery" in [m.name for m in after[1]], after


def test_counter_examples_survive_storage_and_old_versions_read_without_them():
    from cxloop.text.model_registry import _from_blob, _to_blob
    from cxloop.text.teach import ThemeExamples

    taught = ThemeExamples().fit(
        ["the courier was rude", "my parcel is late"], [{"not:Delivery"}, {"Delivery"}]
    )
    assert taught.examples_ == {"Delivery": ["my parcel is late"]}
    assert taught.counter_examples_ == {"Delivery": ["the courier was rude"]}
    back = _from_blob(_to_blob(taught))
    assert isinstance(back, ThemeExamples) and back == taught
    [applied] = back.apply([ThemeDefinition("Delivery", keywords=("parcel",))])
    assert applied.counter_examples == ("the courier was rude",)
    assert applied.examples == ("my parcel is late",)
    import io
    import json

    buf = io.BytesIO()  # a version stored before counter-examples existed
    meta = {"kind": "theme_examples", "examples": {"Delivery": ["my parcel is late"]}}
    np.savez_compressed(buf, meta=np.array(json.dumps(meta)))
    old = _from_blob(buf.getvalue())
    assert isinstance(old, ThemeExamples) and old.counter_examples_ == {}


def test_a_counter_example_vetoes_its_neighbours_only(fast):
    delivery = ThemeDefinition(
        "Delivery", "parcels arriving late or lost", ("delivery", "parcel", "courier")
    )
    plain = fast.classifier([delivery])  # type: ignore[attr-defined]
    corrected = fast.classifier(  # type: ignore[attr-defined]
        [replace(delivery, counter_examples=("the courier was rude to my neighbour",))]
    )
    texts = ["the courier was very rude to my neighbour", "my parcel never arrived"]
    blocks = fast.featurize(texts)  # type: ignore[attr-defined]
    before = plain.confidences(texts, blocks)[:, 0]
    after = corrected.confidences(texts, blocks)[:, 0]
    assert before[0] >= 0.5 and after[0] < 0.5
    assert after[1] == pytest.approx(before[1])
    from cxloop.text.theme_classifier import taxonomy_key

    assert taxonomy_key([delivery]) != taxonomy_key(corrected.themes_)


def test_a_not_label_in_a_teaching_file_is_a_counter_example(engine, fast):
    _seed(engine)
    out = teach(
        engine,
        [
            LabelledExample("the courier was rude to my neighbour", "not:Delivery"),
            LabelledExample("my parcel is a week late", "Delivery"),
        ],
        "themes",
        backend=fast,
    )
    assert out["counter_examples"] == 1 and out["themes"] == 1
    taught = backend_for_workspace(engine, "fast")
    assert taught.theme_examples.counter_examples_ == {
        "Delivery": ["the courier was rude to my neighbour"]
    }
    with pytest.raises(InputError, match="not:Nope"):
        teach(engine, [LabelledExample("x y z", "not:Nope")], "themes", backend=fast)
