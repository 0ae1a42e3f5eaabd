"""The journey: definition, storage, and placing feedback from metadata or text."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.text.journey import (
    JourneyContext,
    JourneyError,
    JourneyMapper,
    default_journey,
    journey_from_dict,
    journey_to_yaml,
    load_journey,
    parse_journey,
    save_journey,
)
from cxloop.text.types import Sentiment, ThemeMatch

NEUTRAL = Sentiment("neutral", 0.0, 0.5)


@pytest.fixture(scope="module")
def mapper() -> JourneyMapper:
    return JourneyMapper(default_journey())


def test_default_journey_is_ordered() -> None:
    assert default_journey().stage_names() == [
        "Discover",
        "Buy",
        "Receive",
        "Onboard",
        "Use",
        "Get support",
        "Pay",
        "Renew or leave",
    ]


def test_metadata_wins_over_text(mapper: JourneyMapper) -> None:
    context = JourneyContext(channels=("post-delivery survey",))
    placed = mapper.place("the app crashed when I tried to pay", (), context)
    assert (placed.stage, placed.touchpoint, placed.source) == ("Receive", "Delivery", "metadata")


def test_given_touchpoint_and_stage(mapper: JourneyMapper) -> None:
    placed = mapper.place("anything", (), JourneyContext(touchpoint="billing"))
    assert (placed.stage, placed.touchpoint) == ("Pay", "Billing")
    placed = mapper.place("anything", (), JourneyContext(journey_stage="use"))
    assert (placed.stage, placed.touchpoint, placed.source) == ("Use", None, "metadata")
    placed = mapper.place("x", (), JourneyContext(journey_stage="Aftercare", touchpoint="Visit"))
    assert (placed.stage, placed.touchpoint) == ("Aftercare", "Visit")  # facts kept as given


@pytest.mark.parametrize(
    ("text", "stage", "touchpoint"),
    [
        ("my parcel never arrived, the courier lost it", "Receive", "Delivery"),
        ("I was charged twice on my invoice", "Pay", "Billing"),
        ("the app crashes at login", "Use", "App and website"),
        ("I'm cancelling my subscription", "Renew or leave", "Cancellation"),
        ("on hold with customer service for an hour", "Get support", "Contact centre"),
        ("signing up took forever", "Onboard", "Account setup"),
    ],
)
def test_text_keywords(mapper: JourneyMapper, text: str, stage: str, touchpoint: str) -> None:
    placed = mapper.place(text)
    assert (placed.stage, placed.touchpoint, placed.source) == (stage, touchpoint, "text")


def test_themes_place_text_without_keywords(mapper: JourneyMapper) -> None:
    placed = mapper.place("it took three weeks", [ThemeMatch("Delivery", 0.8, NEUTRAL)])
    assert (placed.stage, placed.touchpoint) == ("Receive", "Delivery")
    nothing = mapper.place("lovely", [])
    assert (nothing.stage, nothing.touchpoint, nothing.source) == (None, None, None)


def test_validation_errors_name_the_problem() -> None:
    with pytest.raises(JourneyError, match="non-empty 'stages:'"):
        journey_from_dict({"stages": []})
    with pytest.raises(JourneyError, match="stage 'a' is defined twice"):
        journey_from_dict({"stages": [{"name": "A"}, {"name": "a"}]})
    with pytest.raises(JourneyError, match="touchpoint 't' appears in stage"):
        journey_from_dict(
            {
                "stages": [
                    {"name": "A", "touchpoints": [{"name": "T"}]},
                    {"name": "B", "touchpoints": [{"name": "t"}]},
                ]
            }
        )
    with pytest.raises(JourneyError, match="unknown stage 'Nope'"):
        journey_from_dict(
            {"stages": [{"name": "A"}], "channels": [{"match": "x", "stage": "Nope"}]}
        )
    with pytest.raises(JourneyError, match="line 3: not valid YAML"):
        parse_journey("stages:\n  - name: [a\n")


def test_yaml_round_trip_and_workspace_storage(engine) -> None:
    journey = load_journey(engine)  # seeds the default
    assert journey == default_journey()
    custom = parse_journey(
        "stages:\n  - name: Visit\n    touchpoints:\n      - name: Front desk\n"
        "        keywords: [reception, front desk]\n  - name: Stay\n"
    )
    save_journey(engine, custom)
    assert load_journey(engine) == custom
    assert parse_journey(journey_to_yaml(custom)) == custom
    assert JourneyMapper(custom).place("the front  desk was rude").touchpoint == "Front desk"
    assert custom.fingerprint() != default_journey().fingerprint()


def test_cli_show_import_export(cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    shown = cli("journey", "show", "--format", "json")
    assert shown.exit_code == 0 and '"Renew or leave"' in shown.stdout
    path = tmp_path / "j.yaml"
    path.write_text("stages:\n  - name: Visit\n  - name: Stay\n")
    assert cli("journey", "import", str(path)).exit_code == 0
    out = tmp_path / "out.yaml"
    assert cli("journey", "export", str(out)).exit_code == 0
    assert "Visit" in out.read_text()
    path.write_text("stages: nope\n")
    result = cli("journey", "import", str(path))
    assert result.exit_code == 2 and "stages" in result.stderr
