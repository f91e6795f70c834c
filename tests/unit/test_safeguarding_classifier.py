"""The safeguarding engine: flags real concerns with their categories and reasons, stays quiet on
ordinary feedback, marks risk now as immediate."""

from __future__ import annotations

import dataclasses
import re

import pytest

from hub.safeguarding.classifier import (
    CARE_ACT_CATEGORIES,
    CATEGORIES,
    Classification,
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


def _squash(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).lower()


def test_ordinary_feedback_seldom_raises_a_concern() -> None:
    false_alarms = [(t, classify(t).categories) for t in ORDINARY if classify(t).concern]
    assert len(ORDINARY) >= 30
    # Short one-line remarks are where the model is least sure; the bar is precision, not zero.
    assert len(false_alarms) <= len(ORDINARY) // 10, f"false alarms: {false_alarms}"


def test_concerning_narratives_are_flagged_with_their_category() -> None:
    misses = []
    for text, category in CONCERNING:
        result = classify(text)
        if not result.concern or category not in result.categories:
            misses.append((text, category, result.categories))
    assert len(CONCERNING) >= 25
    recall = 1 - len(misses) / len(CONCERNING)
    assert recall >= 0.9, f"recall {recall:.2f}; missed: {misses}"


SIGNS = [
    ("Mum had bruises nobody could explain.", "physical"),
    ("The carer keeps asking dad to lend him money.", "financial"),
    ("Two of them hold him down to give him his tablets.", "physical"),
    ("She has a plan.", "self-harm"),
    ("Everyone gets got up at 5am because it suits the night shift.", "organisational"),
    ("Her partner answers every question for her at appointments.", "domestic-abuse"),
    ("A carer called him a p*** in front of the other residents.", "discriminatory"),
    (
        "The agency that brought her over holds her passport and she owes them for the flight.",
        "modern-slavery",
    ),
    ("If she presses the buzzer nobody will come.", "neglect"),
]


@pytest.mark.parametrize(("text", "category"), SIGNS)
def test_signs_described_not_named_are_caught(text: str, category: str) -> None:
    result = classify(text)
    assert result.concern
    assert category in result.categories


@pytest.mark.parametrize(
    "text",
    [
        "I was worried they wouldn't feed her but they did, every meal, and she has put on weight.",
        "The receptionist neglected to mention the parking costs, which was annoying.",
        "There was a poster about modern slavery in reception, which I thought was good.",
        "The wait was abuse of my time, four hours to be seen for a sprained ankle.",
        "I was dying for a cup of tea after the scan but the cafe was shut.",
    ],
)
def test_words_about_something_else_raise_nothing(text: str) -> None:
    assert not classify(text).concern


@pytest.mark.parametrize(
    "text",
    [
        "She says she will kill herself tonight and she has saved up her tablets.",
        "Her husband beat her last night and she is scared to go home.",
        "He is on the floor bleeding and the carer has left.",
    ],
)
def test_risk_now_is_immediate(text: str) -> None:
    result = classify(text)
    assert result.concern
    assert result.immediate


def test_a_past_concern_is_not_immediate() -> None:
    result = classify("The carer slapped my mum last month and she still has a mark.")
    assert result.concern
    assert "physical" in result.categories
    assert not result.immediate


def test_self_harm_is_a_category_of_its_own() -> None:
    result = classify("He keeps saying everyone would be better off without him.")
    assert result.concern
    assert "self-harm" in result.categories
    assert (*CARE_ACT_CATEGORIES, "self-harm") == CATEGORIES


def test_every_category_has_reasons_quoting_the_narrative() -> None:
    text = (
        "Her son takes her pension every week and she has no money for food. "
        "He also slapped her and she has a black eye nobody can explain."
    )
    result = classify(text)
    assert {"financial", "physical"} <= set(result.categories)
    for category in result.categories:
        mine = [r for r in result.reasons if r.category == category]
        assert mine, category
        for reason in mine:
            assert reason.source in ("rule", "model")
            assert reason.words
            for quoted, (start, end) in zip(reason.words, reason.spans, strict=True):
                assert _squash(quoted) == _squash(text[start:end])
                assert _squash(quoted) in _squash(text)
    assert any(r.source == "rule" for r in result.reasons)


def test_a_concern_the_model_alone_sees_names_the_model_and_its_words() -> None:
    # No sign in the rulebook matches; the model has learnt what such an account looks like.
    text = (
        "Since the new manager came the residents are all in their nightclothes by teatime "
        "and the lounge is locked in the evening, my aunt says it feels like a prison now."
    )
    result = classify(text)
    assert result.concern
    model_reasons = [r for r in result.reasons if r.source == "model"]
    assert model_reasons
    assert all(_squash(w) in _squash(text) for r in model_reasons for w in r.words)


def test_reasons_travel_as_plain_data() -> None:
    result = classify("The carer slapped my mum and she has bruises on her arms.")
    (first, *_) = result.reasons
    assert set(first.as_dict()) == {"category", "source", "words"}
    assert isinstance(first.as_dict()["words"], list)


def test_negated_statements_do_not_flag_but_the_same_words_unnegated_do() -> None:
    assert not classify("No one hit him.").concern
    assert "physical" in classify("Someone hit him.").categories
    assert not classify("She is not suicidal and is doing well.").concern


def test_a_negation_in_an_earlier_clause_does_not_hide_a_later_concern() -> None:
    result = classify("Nobody told us anything, but the carer slapped her.")
    assert "physical" in result.categories


def test_matches_name_signs_and_never_carry_the_narrative() -> None:
    result = classify("The carer slapped Mrs Jones and took her bank card.")
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
    for text in ("", "   ", "\n\n", "...", "ok"):
        assert classify(text) == Classification(False, (), False, ())


def test_classification_is_immutable() -> None:
    result = classify("Her husband beats her.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.concern = False  # type: ignore[misc]


def test_the_packaged_engine_is_built_once_and_reports_every_category() -> None:
    assert default_classifier() is default_classifier()
    assert default_classifier().categories == CATEGORIES


def test_a_long_narrative_is_classified() -> None:
    filler = "The staff were kind and the room was clean. " * 200
    result = classify(filler + "Then a carer slapped him across the face.")
    assert "physical" in result.categories


def test_classify_many_answers_in_order() -> None:
    texts = ["Her husband beats her.", "The food was cold.", "She has a plan."]
    assert default_classifier().classify_many(texts) == [classify(t) for t in texts]


def test_reasons_can_be_quoted_again_with_names_hidden() -> None:
    from hub.safeguarding.findings import masked

    text = "Her carer Sandra keeps asking Dad to lend her money, Sandra says."
    result = classify(text)
    start = text.index("Sandra")
    again = text.index("Sandra", start + 1)
    hidden = [(start, start + 6, "[NAME]"), (again, again + 6, "[NAME]")]
    safe = masked(text, result.reasons, hidden)
    assert [r.spans for r in safe] == [r.spans for r in result.reasons]
    assert all("Sandra" not in w for r in safe for w in r.words)
    assert any("lend her money" in w for r in safe for w in r.words)


def test_a_quote_hides_what_touches_it_and_squeezes_whitespace() -> None:
    from hub.safeguarding.findings import MAX_QUOTE, quote

    text = "carer  Sandra\nhit her"
    at = text.index("Sandra")
    assert quote(text, 0, len(text), [(at, at + 6, "[NAME]")]) == "carer [NAME] hit her"
    # A hidden span that runs past the quote's start is hidden whole.
    assert quote(text, at + 2, len(text), [(at, at + 6, "[NAME]")]) == "[NAME] hit her"
    assert quote(text, 0, 5) == "carer"
    assert len(quote("word " * 100, 0, 500)) == MAX_QUOTE


def test_stored_reasons_are_masked_again_with_a_newer_redaction() -> None:
    from hub.safeguarding.findings import remasked

    text = "my carer sandra okafor keeps asking dad to lend her money, Will says"
    stored = [
        {"category": "financial", "source": "rule", "words": ["sandra okafor keeps asking dad"]},
        {"category": "financial", "source": "model", "words": ["sandra", "lend", "Will says"]},
    ]
    at, will = text.index("sandra okafor"), text.index("Will")
    hidden = [(at, at + len("sandra okafor"), "[NAME]"), (will, will + 4, "[NAME]")]
    assert remasked(stored, text, hidden) == [
        {"category": "financial", "source": "rule", "words": ["[NAME] keeps asking dad"]},
        {"category": "financial", "source": "model", "words": ["[NAME]", "lend", "[NAME] says"]},
    ]
    # Only what the redaction hid, as written: "will" in another sense is no name.
    assert remasked([{"words": ["nobody will come"]}], text, hidden) == [
        {"words": ["nobody will come"]}
    ]
    # Nothing hidden, nothing changed (and the stored reasons are not modified in place).
    assert remasked(stored, text, []) == stored
    assert stored[0]["words"] == ["sandra okafor keeps asking dad"]
