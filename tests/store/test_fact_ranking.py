"""Store.rank_facts: FTS5 bm25 relevance of remembered facts to a set of words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kiosk.db") as opened:
        yield opened


def test_facts_matching_more_words_rank_higher(store: Store) -> None:
    dog = store.add_fact("Есть собака Жучка")
    fear = store.add_fact("Боится чужой собаки во дворе")
    store.add_fact("Любит рисовать")
    ranked = store.rank_facts(["собака", "собаки", "жучка"])
    assert [fact.id for fact, _ in ranked] == [dog, fear]
    assert ranked[0][1] > ranked[1][1] > 0


def test_forgotten_facts_are_not_ranked(store: Store) -> None:
    kept = store.add_fact("Есть кошка Мурка")
    gone = store.add_fact("Любит кошек")
    store.forget_fact(gone)
    assert [fact.id for fact, _ in store.rank_facts(["кошка", "кошек"])] == [kept]


def test_yo_is_folded_and_query_syntax_is_inert(store: Store) -> None:
    hedgehog = store.add_fact("Видел ёжика в лесу")
    assert [f.id for f, _ in store.rank_facts(["ёжика"])] == [hedgehog]
    for hostile in ['"', "NOT", "ёжика OR *", "text:лес", "(", "NEAR("]:
        store.rank_facts([hostile])  # no FTS syntax error
    assert store.rank_facts([]) == [] and store.rank_facts(["  "]) == []


def test_prefix_mode_matches_word_starts(store: Store) -> None:
    store.add_fact("Любит динозавров")
    assert store.rank_facts(["динозавр"]) == []
    assert len(store.rank_facts(["динозавр"], prefix=True)) == 1
