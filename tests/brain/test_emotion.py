from __future__ import annotations

import pytest

from kiosk.brain.emotion import EMOTIONS, classify_emotion


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("Ура! Здорово!", "happy"),
        ("Я так рада тебя видеть", "happy"),
        ("Привет 😊", "happy"),
        ("Мне очень жаль.", "sad"),
        ("Это грустно 😢", "sad"),
        ("Ого! Неужели?", "surprised"),
        ("Вау, ничего себе", "surprised"),
        ("😮", "surprised"),
        ("Хм, интересно...", "thinking"),
        ("Я думаю, это кот 🤔", "thinking"),
        ("Давай играть! Скорее! Вперёд!", "excited"),
        ("Мы едем на море!!!", "excited"),
        ("Не грусти, всё будет хорошо.", "calm"),
        ("Спокойной ночи 🌙", "calm"),
        ("Привет.", "neutral"),
        ("Сегодня вторник.", "neutral"),
        ("", "neutral"),
        ("Ёжик весёлый", "happy"),
    ],
)
def test_classify_emotion(text: str, emotion: str) -> None:
    assert classify_emotion(text) == emotion


def test_sadness_wins_a_tie_with_joy() -> None:
    assert classify_emotion("Ура, но жаль") == "sad"


def test_every_label_is_known_and_output_is_deterministic() -> None:
    texts = ["Ура!", "Жаль", "Ого", "Хм", "Вперёд!!", "Тихо", "Да"]
    labels = [classify_emotion(t) for t in texts]
    assert set(labels) == set(EMOTIONS)
    assert labels == [classify_emotion(t) for t in texts]
