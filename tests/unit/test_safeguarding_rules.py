"""When a record raises an alert, with which categories, and by when it must be acted on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.safeguarding.classifier import NO_CONCERN, Classification
from hub.safeguarding.rules import Deadlines, assess

FLAGGED = Classification(
    concern=True, categories=("physical",), immediate=False, matches=("physical.hit",)
)


def test_no_flag_and_no_classifier_concern_means_no_alert():
    assert (
        assess(concern=False, immediate_risk=False, categories=[], classification=NO_CONCERN)
        is None
    )


def test_partner_concern_alone_raises_an_alert():
    found = assess(
        concern=True, immediate_risk=False, categories=["neglect"], classification=NO_CONCERN
    )
    assert found is not None
    assert (found.categories, found.immediate, found.source) == (("neglect",), False, "partner")


def test_classifier_alone_raises_an_alert():
    found = assess(concern=False, immediate_risk=False, categories=[], classification=FLAGGED)
    assert found is not None
    assert found.source == "classifier"
    assert found.rules == ("physical.hit",)


def test_categories_are_the_union_in_care_act_order():
    found = assess(
        concern=True,
        immediate_risk=False,
        categories=["neglect", "financial"],
        classification=FLAGGED,
    )
    assert found is not None
    assert found.categories == ("physical", "financial", "neglect")
    assert found.source == "partner+classifier"


def test_immediate_risk_from_either_side_and_implies_a_concern():
    found = assess(concern=False, immediate_risk=True, categories=[], classification=NO_CONCERN)
    assert found is not None and found.immediate
    urgent = Classification(concern=True, categories=("physical",), immediate=True, matches=())
    found = assess(concern=True, immediate_risk=False, categories=[], classification=urgent)
    assert found is not None and found.immediate


def test_categories_without_the_concern_flag_still_raise():
    assert (
        assess(
            concern=False, immediate_risk=False, categories=["financial"], classification=NO_CONCERN
        )
        is not None
    )


def test_deadlines_one_hour_when_immediate_else_a_day_and_configurable():
    raised = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert Deadlines().due(raised, True) == raised + timedelta(hours=1)
    assert Deadlines().due(raised, False) == raised + timedelta(hours=24)
    custom = Deadlines.from_minutes(15, 240)
    assert custom.due(raised, True) == raised + timedelta(minutes=15)
    assert custom.due(raised, False) == raised + timedelta(hours=4)


def test_the_assessment_carries_the_classifiers_reasons_and_orders_self_harm_last():
    from hub.safeguarding.classifier import Reason

    reason = Reason("self-harm", "rule", ("she has a plan",), ((0, 14),))
    found = assess(
        concern=False,
        immediate_risk=False,
        categories=["neglect"],
        classification=Classification(True, ("self-harm",), True, ("self-harm:plan",), (reason,)),
    )
    assert found is not None
    assert found.categories == ("neglect", "self-harm")
    # the partner's flag is a reason of its own, before the classifier's words
    assert found.reasons == (Reason("neglect", "partner", ()), reason)
    assert found.immediate
