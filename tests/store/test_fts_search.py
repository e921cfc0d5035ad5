"""Full-text search over turns and facts: Russian word forms, and any input is safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.store import Store
from kiosk.store.search import fts_query, word_stems


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "kiosk.db")
    cid = s.start_conversation("anya")
    s.add_turn(cid, "child", "Я очень люблю КОШКИ и ёжиков")
    s.add_turn(cid, "avatar", "А я люблю собак. Сколько у тебя кошек?")
    s.add_turn(cid, "child", "Мы ходили в зоопарк с девочками")
    yield s  # type: ignore[misc]
    s.close()


def _texts(store: Store, query: str) -> set[str]:
    return {t.text for t in store.search_turns(query)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("кошки", {"Я очень люблю КОШКИ и ёжиков", "А я люблю собак. Сколько у тебя кошек?"}),
        ("кошек", {"Я очень люблю КОШКИ и ёжиков", "А я люблю собак. Сколько у тебя кошек?"}),
        ("кош*", {"Я очень люблю КОШКИ и ёжиков", "А я люблю собак. Сколько у тебя кошек?"}),
        ("Кошка", {"Я очень люблю КОШКИ и ёжиков", "А я люблю собак. Сколько у тебя кошек?"}),
        ("ежик", {"Я очень люблю КОШКИ и ёжиков"}),  # е finds ё
        ("собака", {"А я люблю собак. Сколько у тебя кошек?"}),
        ("девочка", {"Мы ходили в зоопарк с девочками"}),
        ("зоопарк кошки", set()),  # every word must match
        ("слон", set()),
    ],
)
def test_search_finds_russian_word_forms(store: Store, query: str, expected: set[str]) -> None:
    assert _texts(store, query) == expected


@pytest.mark.parametrize(
    "query",
    [
        '"',
        'кошки"',
        '"кошки',
        "кошки OR",
        "NOT кошки",
        "AND",
        "(кошки",
        "кошки)",
        "text:кошки",
        "^кошки",
        "кошки NEAR(",
        "*",
        "-кошки",
        "+",
        "{text}: кошки",
        "'; DROP TABLE turns; --",
        "",
        "   ",
        "кошки " * 50,
    ],
)
def test_fts_syntax_in_user_input_does_not_crash(store: Store, query: str) -> None:
    store.search_turns(query)
    store.search_facts(query)
    assert len(store.recent_turns(10)) == 3


def test_operator_words_are_searched_as_words(store: Store) -> None:
    cid = store.start_conversation("anya")
    store.add_turn(cid, "child", "Say NOT now or never")
    assert _texts(store, "NOT") == {"Say NOT now or never"}
    assert _texts(store, '"or" never') == {"Say NOT now or never"}


def test_search_facts_finds_forms_and_skips_forgotten(store: Store) -> None:
    cats = store.add_fact("Любит кошек")
    dark = store.add_fact("Боится темноты")
    granny = store.add_fact("Любит кошку бабушки")
    store.forget_fact(granny)
    assert [f.id for f in store.search_facts("кошки")] == [cats]
    assert [f.id for f in store.search_facts("темнота")] == [dark]


def test_search_results_limited(store: Store) -> None:
    cid = store.start_conversation("anya")
    for i in range(10):
        store.add_turn(cid, "child", f"кошка номер {i}")
    assert len(store.search_turns("кошка", limit=4)) == 4


def test_query_has_only_quoted_prefix_terms() -> None:
    assert fts_query("") is None
    assert fts_query("?!") is None
    query = fts_query('кошки "OR" NOT')
    assert query is not None
    assert query.count("(") == 3 and " AND " in query
    assert "кошки" not in query.replace('"кошки"*', "")


@pytest.mark.parametrize(
    ("word", "stem"),
    [("кошки", "кош"), ("кошек", "кошк"), ("девочками", "девоч"), ("Ёжиков", "ежик")],
)
def test_word_stems_reach_a_shared_prefix(word: str, stem: str) -> None:
    assert stem in word_stems(word)
