from __future__ import annotations

import pytest

from kiosk.brain.sentences import SentenceChunker, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Привет! Как дела?", ["Привет!", "Как дела?"]),
        ("Привет! 😊 Как дела?", ["Привет! 😊", "Как дела?"]),
        ("Ура!!! Мы победили?!", ["Ура!!!", "Мы победили?!"]),
        ("Я Аня. Мне 12 лет.", ["Я Аня.", "Мне 12 лет."]),
        ("Мы пели, рисовали и т.д. потом спали.", ["Мы пели, рисовали и т.д. потом спали."]),
        ("Кошки, собаки и т.д. Потом мы пошли.", ["Кошки, собаки и т.д.", "Потом мы пошли."]),
        ("Это, т.е. котик, спит. Тихо!", ["Это, т.е. котик, спит.", "Тихо!"]),
        ("Есть птицы, рыбы и др. животные.", ["Есть птицы, рыбы и др. животные."]),
        ("Сказку написал А. С. Пушкин. Здорово!", ["Сказку написал А. С. Пушкин.", "Здорово!"]),
        ("Число 3.5 больше трёх. Да!", ["Число 3.5 больше трёх.", "Да!"]),
        ("Ну... я не знаю. Ладно!", ["Ну... я не знаю.", "Ладно!"]),
        ("Ну… Давай играть!", ["Ну…", "Давай играть!"]),
        ("Мы живём в г. Москва. Там красиво.", ["Мы живём в г. Москва.", "Там красиво."]),
        ("Первая строка\nвторая строка", ["Первая строка", "вторая строка"]),
        ("Список:\n1. Кошки\n2. Собаки", ["Список:", "1. Кошки", "2. Собаки"]),
        ("Он сказал: «Привет!» Потом ушёл.", ["Он сказал: «Привет!»", "Потом ушёл."]),
        ("Без точки в конце", ["Без точки в конце"]),
        ("  ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_streaming_gives_the_same_sentences_however_tokens_are_cut(size: int) -> None:
    text = "Привет! 😊 Меня зовут Аня. Число 3.5 и т.д. тоже. Ну... Хм? Пока!"
    chunker = SentenceChunker()
    out: list[str] = []
    for start in range(0, len(text), size):
        out += chunker.feed(text[start : start + size])
    out += chunker.flush()
    assert out == split_sentences(text)


def test_sentence_comes_out_as_soon_as_the_next_one_starts() -> None:
    chunker = SentenceChunker()
    assert chunker.feed("Привет!") == []
    assert chunker.feed(" Как") == ["Привет!"]
    assert chunker.pending == "Как"
    assert chunker.flush() == ["Как"]
    assert chunker.pending == ""


def test_long_clause_is_cut_at_a_comma_before_the_sentence_ends() -> None:
    chunker = SentenceChunker(max_chars=120)
    clause = "а потом мы пошли в лес и долго гуляли среди высоких деревьев"
    text = f"Сначала мы собрали рюкзаки, {clause}, {clause}, {clause}"
    out: list[str] = []
    for word in text.split(" "):
        out += chunker.feed(word + " ")
    assert out, "a 200-character clause must not wait for its end"
    assert all(len(s) <= 121 for s in out)
    assert out[0].endswith(",")
    rest = out + chunker.flush()
    assert " ".join(rest) == text


def test_long_text_without_commas_is_cut_at_a_space() -> None:
    text = " ".join(["слово"] * 60)
    parts = split_sentences(text, max_chars=120)
    assert len(parts) >= 2
    assert all(len(p) <= 121 for p in parts)
    assert " ".join(parts) == text


def test_reset_drops_pending_text() -> None:
    chunker = SentenceChunker()
    chunker.feed("Недоговорённое предложение")
    chunker.reset()
    assert chunker.flush() == []
