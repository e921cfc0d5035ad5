"""What the store writes: personal data masked in turns, search, facts and summaries unless kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.store import Store

PHONE = "8 916 123 45 67"
ADDRESS = "улица Ленина, дом 5, квартира 12"
SAID = f"Мой телефон {PHONE}, я живу: {ADDRESS}"


def _raw_texts(path: Path) -> str:
    """Every text column the file holds, read by a second, plain connection."""
    conn = sqlite3.connect(path)
    try:
        parts = [
            row[0]
            for sql in (
                "SELECT text FROM turns",
                "SELECT text FROM turns_fts",
                "SELECT text FROM memory_facts",
                "SELECT text FROM memory_facts_fts",
                "SELECT coalesce(fact_key, '') FROM memory_facts",
                "SELECT summary FROM conversation_summaries",
            )
            for row in conn.execute(sql)
        ]
    finally:
        conn.close()
    return "\n".join(parts)


def _fill(store: Store) -> int:
    conversation = store.start_conversation("anya")
    turn = store.add_turn(conversation, "child", SAID)
    store.add_turn(conversation, "avatar", f"Запомнила: {PHONE}. Это секрет!")
    store.remember_fact(f"phone:{PHONE}", f"Телефон {PHONE}", source_turn_id=turn)
    store.remember_fact("home", f"Живёт: {ADDRESS}", source_turn_id=turn)
    store.set_conversation_summary(conversation, f"Ребёнок назвал телефон {PHONE}", turn)
    return conversation


def test_child_phone_and_address_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    with Store.open(path) as store:
        conversation = _fill(store)
        turns = store.turns(conversation)
        assert turns[0].text == "Мой телефон [телефон], я живу: [адрес]"
        assert turns[1].text == "Запомнила: [телефон]. Это секрет!"
        assert {f.text for f in store.facts()} == {"Телефон [телефон]", "Живёт: [адрес]"}
        assert store.conversation_summary(conversation)[0] == "Ребёнок назвал телефон [телефон]"
        assert store.search_turns("916") == []
        assert {t.id for t in store.search_turns("телефон")} == {turns[0].id, turns[1].id}
        assert store.search_facts("Ленина") == []
    stored = _raw_texts(path)
    for piece in ("916", "123 45 67", "Ленина", "квартира 12"):
        assert piece not in stored


def test_keep_personal_data_stores_text_as_said(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    with Store.open(path, keep_personal_data=True) as store:
        conversation = _fill(store)
        assert store.turns(conversation)[0].text == SAID
        assert [t.text for t in store.search_turns("Ленина")] == [SAID]
        assert store.conversation_summary(conversation)[0].endswith(PHONE)
    stored = _raw_texts(path)
    assert PHONE in stored and ADDRESS in stored


def test_the_choice_can_change_on_an_open_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "kiosk.db") as store:
        conversation = store.start_conversation("anya")
        store.keep_personal_data = True
        kept = store.add_turn(conversation, "child", PHONE)
        store.keep_personal_data = False
        masked = store.add_turn(conversation, "child", PHONE)
        assert [t.text for t in store.turns(conversation)] == [PHONE, "[телефон]"]
        assert (kept, masked) == (1, 2)


def test_same_fact_said_with_two_numbers_merges_under_the_masked_key(tmp_path: Path) -> None:
    with Store.open(tmp_path / "kiosk.db") as store:
        first, created = store.remember_fact("phone:89161234567", "Телефон 89161234567")
        again, created_again = store.remember_fact("phone:89031112233", "Телефон 89031112233")
        assert created and not created_again and again == first
        assert store.fact(first).text == "Телефон [телефон]"


def test_facts_the_parent_types_are_kept_as_typed(tmp_path: Path) -> None:
    with Store.open(tmp_path / "kiosk.db") as store:
        fact_id = store.add_fact(f"Телефон мамы {PHONE}", pinned=True)
        store.update_fact(fact_id, text=f"Телефон папы {PHONE}")
        assert store.fact(fact_id).text == f"Телефон папы {PHONE}"


@pytest.mark.parametrize("text", ["Мне 12 лет", "2 плюс 2 будет 4", "В 2024 году у меня 5 кошек"])
def test_ordinary_numbers_are_stored_unchanged(tmp_path: Path, text: str) -> None:
    with Store.open(tmp_path / "kiosk.db") as store:
        conversation = store.start_conversation("anya")
        store.add_turn(conversation, "child", text)
        store.remember_fact("note", text)
        assert store.turns(conversation)[0].text == text
        assert store.facts()[0].text == text
