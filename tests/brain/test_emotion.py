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
        ("Я беспокоюсь за тебя. Расскажи об этом маме.", "concern"),
        ("Будь осторожна, пожалуйста 😟", "concern"),
        ("Не беспокойся, всё будет хорошо.", "calm"),
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
    texts = ["Ура!", "Жаль", "Ого", "Хм", "Вперёд!!", "Тихо", "Да", "Я беспокоюсь за тебя"]
    labels = [classify_emotion(t) for t in texts]
    assert set(labels) == set(EMOTIONS)
    assert labels == [classify_emotion(t) for t in texts]


def test_the_drawn_face_knows_every_label_and_voices_slow_down_for_concern() -> None:
    from kiosk.avatar.features import BROWS, EYES, MOUTHS
    from kiosk.avatar.photo.asset import EMOTION_FACES
    from kiosk.voice.base import EMOTION_SPEED
    from kiosk.voice.espeak import EMOTION_PROSODY

    for table in (EYES, BROWS, MOUTHS, EMOTION_FACES):
        assert set(EMOTIONS) <= set(table)
    assert MOUTHS["concern"] != MOUTHS["neutral"]
    assert EMOTION_SPEED["concern"] < 1.0
    assert EMOTION_PROSODY["concern"][1] < 1.0
