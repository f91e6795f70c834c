"""The safeguarding classifier: flags real concerns, stays quiet on ordinary feedback."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from hub.safeguarding.classifier import (
    CARE_ACT_CATEGORIES,
    Classification,
    Classifier,
    classify,
    default_classifier,
)

ORDINARY = [
    "The food was cold.",
    "We waited 4 hours in A&E before anyone saw us.",
    "The receptionist was rude to me on the phone.",
    "Parking was expensive and hard to find.",
    "The nurses were lovely and explained everything clearly.",
    "I was worried he might fall but staff were great.",
    "No one hit him and he was well looked after.",
    "My dad was not neglected at all, the carers were brilliant.",
    "The appointment was cancelled twice without any explanation.",
    "It took three weeks to get a GP appointment.",
    "The ward was understaffed and we waited a long time for pain relief.",
    "The discharge letter had the wrong date of birth on it.",
    "Staff turned him regularly to prevent pressure sores.",
    "The doctor didn't listen to my concerns about my medication.",
    "My mum's glasses went missing when she moved wards.",
    "The physiotherapist pushed him to do more exercises, which really helped.",
    "The carers always make sure she has enough to eat and drink.",
    "The hospital food was bland and there was no choice for vegetarians.",
    "I felt neglected in the waiting room because nobody told us what was happening.",
    "It hit me how tired the staff looked.",
    "The ambulance took an hour to arrive.",
    "The injection hurt her a bit but the nurse was very gentle.",
    "The nurse kicked the door shut by accident.",
    "She fell and hit her head, and the staff called an ambulance straight away.",
    "We were kicked out of the car park after visiting hours.",
    "Staff are not paid enough, so there is a high turnover.",
    "The care fees have taken all her savings.",
    "Things haven't changed since the last complaint.",
    "The dentist was very gentle and my daughter wasn't scared at all.",
    "Visiting hours are too short and the TV in the lounge is always broken.",
    "There was no sign of abuse or neglect, the home was clean and friendly.",
    "If anyone ever shouted at her constantly I would complain straight away.",
    "Nobody has ever been rough with him here.",
    "He was hit by a car and the paramedics were excellent.",
    "We were not allowed to visit because of a norovirus outbreak.",
    "The patients are always given a choice of meals.",
    "She says the tea tonight was the best she has had.",
    "I was scared of the dentist as a child but this one was kind.",
    "The nurse hurt my arm taking blood but apologised.",
    "He was sedated for the operation and woke up without any problems.",
    "The GP surgery phone line is engaged every morning at 8am.",
    "The consultant was dismissive and did not explain the side effects.",
    "The ward was noisy at night and I could not sleep.",
    "Mum has never been left on her own and the staff know her well.",
    "The midwife was brilliant and stayed with us all night.",
    "I had to repeat my history to four different people.",
    "They hit their targets for waiting times but the care felt rushed.",
    # Near misses: words that also appear in real concerns.
    "We were not fed back the results of the investigation.",
    "He was given his medication on time every day.",
    "My mum is fed through a tube and the nurses are very skilled.",
    "The waiting felt like a punishment.",
    "The carers are rough and ready but very kind.",
    "The ward smells of urine and needs a deep clean.",
    "She was kept in a side room because of an infection.",
    "The doctor spat out the words without looking at me.",
    "The GP said the bruising on his arms is from his blood thinners.",
    "She wants to die at home and the hospice team are supporting that.",
    "Nobody can explain why the clinic keeps cancelling.",
    "He wets himself sometimes and the staff are very discreet about it.",
    "Staff told him not to tell jokes during the quiet hour, which seemed harsh.",
    "My son checks my phone for me because I can't see the screen.",
    "The phlebotomist took three attempts and left a bruise on my arm.",
    "He was called a hero by the nurses after his recovery.",
    "He was sedated so the team could reset his shoulder.",
    "The porter grabbed him a blanket when he was cold.",
    "The hospital kept his passport details for the overseas visitor charges.",
    "She was hit hard by the news of her diagnosis.",
    "I was threatened with a parking fine when I overstayed by ten minutes.",
    "They took her money for the hairdresser from her personal allowance, with receipts.",
    "I took some cash from my wallet to pay for the TV.",
    "Her daughter manages her money under a power of attorney and keeps receipts.",
    "The carer helped her with her bank statements because her eyesight is poor.",
    "We are worried about the cost of care when his savings run out.",
    "The care plan says she needs help to eat, and staff always help her.",
    "I was not given a leaflet about my condition.",
]

CONCERNING = [
    ("The carer slapped my mum and she has bruises on her arms.", "physical"),
    ("Staff left him in soiled sheets all day and he has pressure sores.", "neglect"),
    ("Her son takes her pension and she has no money for food.", "financial"),
    ("A member of staff touched her inappropriately.", "sexual"),
    ("They shout at him and threaten to lock him in his room.", "psychological"),
    ("Workers' passports were taken and they are not paid.", "modern-slavery"),
    ("Staff mocked him because of his religion.", "discriminatory"),
    ("Her husband beats her.", "domestic-abuse"),
    ("He is not eating and lives in squalor, refuses help.", "self-neglect"),
    (
        "The home is chronically understaffed and residents are routinely left in bed until noon.",
        "organisational",
    ),
    ("One of the night staff punched him when he would not go to bed.", "physical"),
    ("Dad has unexplained bruising on his wrists after visits from the agency carers.", "physical"),
    ("She was left on the floor all night after she fell.", "neglect"),
    ("Her medication was withheld as a punishment.", "neglect"),
    ("Her nephew made her sign over her house to him.", "financial"),
    ("A male carer made sexual comments to her while washing her.", "sexual"),
    ("The staff call him stupid and laugh at him in front of other residents.", "psychological"),
    ("Her partner will not let her see her friends and checks her phone.", "domestic-abuse"),
    ("He is afraid of his son, who takes his money.", "domestic-abuse"),
    ("Money keeps going missing from her purse in the care home.", "financial"),
    (
        "The cleaners live in the garage, their documents were confiscated and they work "
        "for no pay.",
        "modern-slavery",
    ),
    ("A nurse made racist comments about her skin colour.", "discriminatory"),
    ("Carers refused to help him because he is gay.", "discriminatory"),
    ("Residents are left in wet pads overnight because there is only one carer.", "neglect"),
    ("She told me her husband hit her again last night.", "domestic-abuse"),
    ("The manager shoved her into a chair and shouted at her.", "physical"),
    ("Staff forget to give him his insulin for days at a time.", "neglect"),
    ("The carers took naked photos of residents.", "sexual"),
    ("He was sexually assaulted by another patient on the ward.", "sexual"),
    ("They tied her to the chair so she would not wander.", "physical"),
    ("The manager covers up falls and injuries so families are not told.", "organisational"),
    (
        "He lives alone, has stopped washing himself and his flat is full of rubbish.",
        "self-neglect",
    ),
    ("Nobody turned him for two days and he now has a bed sore.", "neglect"),
    ("The night carer is rough with her when hoisting and she cries.", "physical"),
    ("Everyone is put to bed at 5pm so the night shift has less to do.", "organisational"),
    ("My aunt was scammed out of her savings by a man who said he was from the bank.", "financial"),
    ("He is terrified of the night staff and begs us not to leave.", "psychological"),
    ("The night staff are rough and my mother is black and blue.", "physical"),
    ("He told me the carers pinch him when he doesn't do what they say.", "physical"),
    ("She has been losing weight and is not being given her meals.", "neglect"),
    ("They moved the call bell out of her reach so she would stop ringing it.", "neglect"),
    ("The carer asked her to lend him £500 and she did.", "financial"),
    ("My dad's bank account has been emptied since his carer started.", "financial"),
    ("Staff threatened to put her in a home if she complained.", "psychological"),
    ("The staff told him he was a burden and should be grateful.", "psychological"),
    ("The women working in the nail bar cannot leave and are not paid.", "modern-slavery"),
    ("All the residents are given sleeping tablets at 6pm to keep them quiet.", "physical"),
    ("She is hoarding and her flat is infested with rats.", "self-neglect"),
    ("My sister's boyfriend is threatening to kill her.", "domestic-abuse"),
    ("My mum came home with a fractured wrist and nobody can explain how.", "physical"),
    ("The carers wake her at 4am to wash and dress her.", "organisational"),
    ("Staff ignore her buzzer and she wets herself waiting.", "neglect"),
    ("Nobody has changed his dressing in a week and the wound is infected.", "neglect"),
    ("My stepson has taken over my mother's bank account and pays himself.", "financial"),
    ("The support worker sends her sexual messages.", "sexual"),
    ("He screams at her and tells her nobody will believe her.", "psychological"),
    ("Staff refused to help her pray and laughed at her hijab.", "discriminatory"),
    (
        "The manager told staff not to record falls so the inspectors would not find out.",
        "organisational",
    ),
    ("The owner keeps the carers' passports in the office safe.", "modern-slavery"),
    ("She is constantly belittled by staff and called a nuisance.", "psychological"),
    ("The care worker kissed her on the lips without her consent.", "sexual"),
    ("He was found lying on the floor of his room in his own urine.", "neglect"),
    ("She refuses to let anyone help her and is living among piles of rubbish.", "self-neglect"),
]

MATCH_KEY = re.compile(r"[a-z][a-z0-9-]*:[a-z0-9][a-z0-9-]*")


def test_ordinary_feedback_never_raises_a_concern() -> None:
    false_alarms = [(text, classify(text).matches) for text in ORDINARY if classify(text).concern]
    assert len(ORDINARY) >= 30
    assert false_alarms == [], f"false alarms: {false_alarms}"


def test_concerning_narratives_are_flagged_with_their_category() -> None:
    misses = []
    for text, category in CONCERNING:
        result = classify(text)
        if not result.concern or category not in result.categories:
            misses.append((text, category, result.categories))
    assert len(CONCERNING) >= 25
    recall = 1 - len(misses) / len(CONCERNING)
    assert recall >= 0.9, f"recall {recall:.2f}; missed: {misses}"


@pytest.mark.parametrize(
    "text",
    [
        "He is being hit right now.",
        "She says she will kill herself tonight.",
        "Her husband beat her last night and she is still living with him.",
        "I called the police because the carer punched him.",
        "The carer is hurting her today.",
    ],
)
def test_harm_happening_now_or_risk_to_life_is_immediate(text: str) -> None:
    result = classify(text)
    assert result.concern
    assert result.immediate


def test_a_past_concern_is_not_immediate() -> None:
    result = classify("The carer slapped my mum last month and she still has a mark.")
    assert result.concern
    assert result.categories == ("physical",)
    assert not result.immediate


def test_suicidal_intent_is_a_concern_without_a_care_act_category() -> None:
    result = classify("He keeps saying he wants to end his life.")
    assert result == Classification(
        concern=True, categories=(), immediate=True, matches=("immediate:suicidal",)
    )


def test_an_urgent_word_alone_does_not_raise_a_concern() -> None:
    assert not classify("I need an appointment today, it is urgent.").concern


def test_negated_statements_do_not_flag_but_the_same_words_unnegated_do() -> None:
    assert not classify("No one hit him.").concern
    assert classify("Someone hit him.").categories == ("physical",)
    assert not classify("She is not suicidal and is doing well.").concern
    assert not classify("He was never neglected there.").concern
    assert classify("He was neglected there.").categories == ("neglect",)


def test_a_negation_in_an_earlier_clause_does_not_hide_a_later_concern() -> None:
    result = classify("Nobody told us anything, but the carer slapped her.")
    assert result.categories == ("physical",)


def test_a_worry_left_standing_is_still_flagged() -> None:
    # A suspicion is enough for a referral; only a worry the narrator then dispels is ignored.
    assert classify("I am worried she might be being neglected.").categories == ("neglect",)
    assert not classify("I was worried she might be neglected but the staff were great.").concern


def test_several_categories_are_reported_sorted_and_deduplicated() -> None:
    result = classify(
        "Her son takes her pension. He also hits her and calls her stupid. He hits her daily."
    )
    assert result.categories == tuple(sorted(set(result.categories)))
    assert {"financial", "physical", "psychological"} <= set(result.categories)


def test_matches_name_rules_and_never_carry_the_narrative() -> None:
    text = "The carer slapped Mrs Jones and took her bank card."
    result = classify(text)
    assert result.matches
    assert all(MATCH_KEY.fullmatch(key) for key in result.matches)
    assert "jones" not in " ".join(result.matches)
    assert list(result.matches) == sorted(set(result.matches))


def test_typographic_apostrophes_and_case_do_not_matter() -> None:
    assert (
        classify("HER HUSBAND BEATS HER").categories == classify("her husband beats her").categories
    )
    assert classify("They weren\u2019t paid and their passports were taken.").concern


def test_a_sentence_break_ends_a_negation() -> None:
    assert classify("No complaints about the food.\nThe carer punched him.").concern


def test_empty_or_blank_text_is_not_a_concern() -> None:
    for text in ("", "   ", "\n\n", "..."):
        assert classify(text) == Classification(False, (), False, ())


def test_classification_is_immutable() -> None:
    result = classify("Her husband beats her.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.concern = False  # type: ignore[misc]


def test_packaged_phrasebook_covers_every_care_act_category() -> None:
    assert default_classifier().categories == tuple(sorted(CARE_ACT_CATEGORIES))
    assert default_classifier() is default_classifier()


def test_a_long_narrative_is_classified() -> None:
    filler = "The staff were kind and the room was clean. " * 200
    result = classify(filler + "Then a carer slapped him across the face.")
    assert result.categories == ("physical",)


def _phrasebook(tmp_path: Path, spec: dict[str, object]) -> Path:
    path = tmp_path / "phrases.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def test_a_phrasebook_file_extends_the_vocabulary(tmp_path: Path) -> None:
    spec = json.loads(
        (Path(__file__).parents[2] / "hub/safeguarding/phrases.json").read_text("utf-8")
    )
    spec["categories"]["neglect"].append(
        {"id": "no-hearing-aid", "pattern": "%POSS% hearing aids? (?:was|were) never put in"}
    )
    custom = Classifier.from_file(_phrasebook(tmp_path, spec))
    text = "Her hearing aids were never put in for a week."
    assert not classify(text).concern
    assert custom.classify(text).matches == ("neglect:no-hearing-aid",)


def test_a_minimal_phrasebook_needs_only_categories(tmp_path: Path) -> None:
    custom = Classifier.from_file(
        _phrasebook(tmp_path, {"categories": {"physical": [{"id": "kick", "pattern": "kicked"}]}})
    )
    assert custom.categories == ("physical",)
    assert custom.classify("He kicked the nurse").categories == ("physical",)
    assert custom.classify("kickedx").concern is False
    assert custom.classify_many(["kicked", "calm"]) == [
        Classification(True, ("physical",), False, ("physical:kick",)),
        Classification(False, (), False, ()),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"categories": {}}, "categories"),
        ({"categories": {"Bad Name": []}}, "category name"),
        ({"categories": {"physical": [{"id": "x", "pattern": "(unclosed"}]}}, "physical:x"),
        ({"categories": {"physical": [{"id": "x", "pattern": "%NOPE%"}]}}, "unknown macro"),
        ({"categories": {"physical": [{"id": "x", "pattern": []}]}}, "physical:x"),
        (
            {
                "categories": {
                    "physical": [{"id": "x", "pattern": "a"}, {"id": "x", "pattern": "b"}]
                }
            },
            "duplicate",
        ),
        ({"categories": {"physical": [{"id": "Has Space", "pattern": "a"}]}}, "rule id"),
    ],
)
def test_a_broken_phrasebook_is_refused_with_a_reason(
    tmp_path: Path, spec: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Classifier.from_file(_phrasebook(tmp_path, spec))
