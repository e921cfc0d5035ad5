"""The Russian fact patterns: what a child says → (key, category, text)."""

from __future__ import annotations

import pytest

from kiosk.brain.facts import CATEGORY_PRIORITY, extract_facts

# (what the child says, expected (key, text) pairs, in any order)
EXTRACTION_SET = [
    ("Меня зовут Маша, я люблю кошек!", {("name", "Зовут Маша"), ("pref:кошк", "Любит кошек")}),
    ("Мне двенадцать лет", {("age", "12 лет")}),
    ("мне 9 лет", {("age", "9 лет")}),
    ("Я учусь в шестом классе", {("grade", "Учится в 6 классе")}),
    (
        "А ещё я очень люблю рисовать и петь",
        {("pref:рисоват", "Любит рисовать"), ("pref:пет", "Любит петь")},
    ),  # noqa: E501
    ("Я не люблю кашу", {("pref:каш", "Не любит кашу")}),
    ("Мне нравятся собаки", {("pref:собак", "Нравятся собаки")}),
    ("У меня есть кошка Мурка", {("pet:кошк", "Есть кошка Мурка")}),
    ("Мою собаку зовут Бобик", {("pet:собак", "Есть собака Бобик")}),
    ("Моя лучшая подруга Лена", {("friend:лена", "Лучшая подруга — Лена")}),
    ("Я дружу с Петей", {("friend:петя", "Дружит с: Петя")}),
    ("У меня есть младший брат Ваня", {("family:брат", "Есть младший брат Ваня")}),
    ("Я хожу на плавание", {("hobby:плаван", "Ходит на плавание")}),
    ("Я боюсь темноты", {("worry:темнот", "Боится: темноты")}),
    ("Меня в школе обижают", {("worry:bullying", "Говорит, что его/её обижают")}),
    ("У меня аллергия на орехи", {("allergy:орех", "Аллергия на орехи")}),
    ("Я хочу стать ветеринаром", {("dream", "Мечтает стать: ветеринаром")}),
    ("Завтра мы поедем на дачу", {("plan:дач", "Планы (завтра): поедем на дачу")}),
    ("Мой любимый цвет — синий", {("fav:цвет", "Любимый цвет — синий")}),
    ("у меня скоро день рождения", {("birthday", "Скоро день рождения")}),
]
NOTHING_TO_LEARN = [
    "Ты любишь кошек?",
    "А ты боишься темноты?",
    "Привет, как дела?",
    "Я люблю тебя",
    "Расскажи сказку",
    "Сколько тебе лет?",
]


@pytest.mark.parametrize(("text", "expected"), EXTRACTION_SET)
def test_child_statement_becomes_fact(text: str, expected: set[tuple[str, str]]) -> None:
    assert {(f.key, f.text) for f in extract_facts(text)} == expected


@pytest.mark.parametrize("text", NOTHING_TO_LEARN)
def test_questions_and_small_talk_teach_nothing(text: str) -> None:
    assert extract_facts(text) == []


def test_like_and_dislike_of_the_same_thing_share_a_key() -> None:
    (like,) = extract_facts("Я люблю кошек")
    (dislike,) = extract_facts("Я больше не люблю кошек")
    assert like.key == dislike.key
    assert (like.category, dislike.category) == ("likes", "dislikes")


def test_worries_and_allergies_outrank_trivia() -> None:
    allergy = extract_facts("у меня аллергия на мёд")[0]
    worry = extract_facts("я боюсь собак")[0]
    colour = extract_facts("мой любимый цвет зелёный")[0]
    assert allergy.priority == CATEGORY_PRIORITY["health"] == 1.0
    assert allergy.priority > worry.priority > colour.priority
