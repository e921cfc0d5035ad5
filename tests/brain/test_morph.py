"""Lemmas for memory and safety: the reading a child means, not an abbreviation or a town."""

from __future__ import annotations

import pytest

from kiosk.brain.morph import lemma, morphology_available
from kiosk.brain.safety import check_input

pytestmark = pytest.mark.skipif(not morphology_available(), reason="pymorphy3 is not installed")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("режу", "резать"),  # pymorphy3's first parse: dative of the town "Реж"
        ("режем", "резать"),
        ("порежу", "порезать"),
        ("кошек", "кошка"),
        ("вены", "вена"),
        ("орла", "орел"),
    ],
)
def test_lemma_prefers_the_common_word_over_abbreviations_and_place_names(
    word: str, expected: str
) -> None:
    assert lemma(word) == expected


@pytest.mark.parametrize(("word", "expected"), [("москве", "москва"), ("мид", "мид")])
def test_a_word_that_is_only_a_place_or_abbreviation_keeps_that_reading(
    word: str, expected: str
) -> None:
    assert lemma(word) == expected


def test_cutting_oneself_in_any_form_alerts_without_a_special_case_in_the_lists() -> None:
    for text in ("Я режу себе руку, когда мне плохо", "Я опять режем себе ноги"):
        verdict = check_input(text, model=False)
        assert verdict.category == "self_harm", text
