"""The personal-data scrubber: Russian phones, e-mails, addresses, documents; not plain numbers."""

from __future__ import annotations

import tomllib

import pytest

from kiosk.paths import CONTENT_DIR
from kiosk.store.scrub import find_personal_data, scrub_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Мой телефон +7 (916) 123-45-67, звони!", "Мой телефон [телефон], звони!"),
        ("8 916 123 45 67", "[телефон]"),
        ("8-916-123-45-67", "[телефон]"),
        ("89161234567", "[телефон]"),
        ("+79161234567", "[телефон]"),
        ("+7 916 1234567", "[телефон]"),
        ("8 (916) 123 45 67", "[телефон]"),
        ("916 123 45 67", "[телефон]"),
        ("(495) 123-45-67", "[телефон]"),
        ("бабушкин домашний 123-45-67", "бабушкин домашний [телефон]"),
        ("пиши на masha.petrova@mail.ru", "пиши на [почта]"),
        ("Я живу на улице Ленина, дом 5, квартира 12", "Я живу на [адрес]"),
        ("ул. Ленина д. 5 кв. 12", "[адрес]"),
        ("проспект Мира 15, корпус 2", "[адрес]"),
        ("переулок Садовый, д. 3", "[адрес]"),
        ("живу на улице ленина дом 5", "живу на [адрес]"),
        ("Ленинский проспект, дом 5", "[адрес]"),
        ("дом 5, квартира 12", "[адрес]"),
        ("у нас квартира 47", "у нас [адрес]"),
        ("номер карты 4276 1234 5678 9012", "номер карты [номер]"),
        ("паспорт 4506 123456", "паспорт [номер]"),
        ("снилс 123-456-789 01", "снилс [номер]"),
        (
            "Телефон 8 916 123 45 67, адрес ул. Мира д. 1 кв. 2",
            "Телефон [телефон], адрес [адрес]",
        ),
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert scrub_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2 плюс 2",
        "Сколько будет 2+2?",
        "в 2024 году",
        "У меня 5 кошек",
        "Мне 12 лет",
        "На уроке истории мы учили про войну 1812 года",
        "на улице холодно",
        "на улице минус 10 градусов",
        "на улице было 5 градусов",
        "в доме 5 этажей",
        "приходи к 5 часам",
        "1 2 3 4 5 6 7 8 9 10",
        "1 000 000 000",
        "100 000 000 рублей",
        "Сколько будет 123456 умножить на 7?",
        "15.03.2024",
        "в 10:30",
        "число пи 3,14159265358979",
        "Красная площадь",
        "площадь квадрата 16",
        "Позвони на телефон доверия 8-800-2000-122, это бесплатно.",
        "Мой телефон разрядился",
    ],
)
def test_ordinary_numbers_and_words_are_kept(text: str) -> None:
    assert scrub_personal_data(text) == text
    assert find_personal_data(text) == []


def test_find_names_each_kind() -> None:
    found = find_personal_data(
        "мой 8 916 123 45 67, ул. Ленина д. 5 кв. 12, a@b.ru, карта 4276 1234 5678 9012"
    )
    assert [kind for kind, _ in found] == ["email", "phone", "address", "number"]
    assert ("phone", "8 916 123 45 67") in found


def _ordinary_prompts() -> list[str]:
    prompts: list[str] = []
    for path in (
        CONTENT_DIR / "safety" / "eval" / "ordinary.toml",
        CONTENT_DIR / "safety" / "train" / "ordinary.toml",
    ):
        with path.open("rb") as handle:
            for table in tomllib.load(handle).values():
                prompts += [p for p in table.get("prompts", []) if isinstance(p, str)]
    with (CONTENT_DIR / "safety" / "eval" / "heldout.toml").open("rb") as handle:
        for round_ in tomllib.load(handle).values():
            for group in round_.get("ordinary", {}).values():
                prompts += group.get("prompts", [])
    return prompts


def _dialogue_answers() -> list[str]:
    answers: list[str] = []
    for path in sorted((CONTENT_DIR / "dialogues").glob("*.toml")):
        with path.open("rb") as handle:
            for exchange in tomllib.load(handle).get("exchange", []):
                answers += exchange.get("answers", [])
    return answers


def test_ordinary_talk_is_never_masked() -> None:
    """The ordinary prompts of the safety sets and Аня's scripted answers stay as they are."""
    prompts = _ordinary_prompts()
    answers = _dialogue_answers()
    assert len(prompts) > 400 and len(answers) > 200, "the sets were found"
    masked = [t for t in [*prompts, *answers] if scrub_personal_data(t) != t]
    assert masked == []


def test_the_safety_list_examples_of_personal_data_are_masked() -> None:
    """What the safety check redirects as personal data is also what storage masks."""
    examples = [
        "мой номер 89161234567",
        "мамин телефон: +7 916 123 45 67",
        "номер карты 1234 5678 9012 3456",
        "моя почта kid2012@yandex.ru",
        "я живу на улице Пушкина, дом 10",
    ]
    for text in examples:
        assert scrub_personal_data(text) != text, text
        assert not any(ch.isdigit() for ch in scrub_personal_data(text)), text
