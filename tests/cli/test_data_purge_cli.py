"""``kiosk data purge``: retention through the real CLI on a temporary data dir."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kiosk.cli import main
from kiosk.paths import Paths
from kiosk.store import Store
from kiosk.store.records import format_time


@pytest.fixture
def data_dir(kiosk_env: Paths) -> Path:
    return kiosk_env.data_dir


def kiosk(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def _fill(data_dir: Path) -> int:
    """One 40-day-old conversation (with a fact learnt from it) and one from today."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with Store.open(data_dir / "kiosk.db") as store:
        old = store.start_conversation("anya")
        turn = store.add_turn(old, "child", "Мою кошку зовут Мурка")
        store.add_turn(old, "avatar", "Красивое имя!")
        store.add_fact("Кошку зовут Мурка", source_turn_id=turn)
        then = format_time(datetime.now(UTC) - timedelta(days=40))
        store.db.execute("UPDATE turns SET created_at = ? WHERE conversation_id = ?", [then, old])
        store.db.execute("UPDATE conversations SET started_at = ? WHERE id = ?", [then, old])
        store.add_turn(store.start_conversation("anya"), "child", "Привет, Аня!")
        return old


def _state(data_dir: Path) -> tuple[int, list[str], list[int | None]]:
    with Store.open(data_dir / "kiosk.db") as store:
        facts = store.facts()
        return (
            len(store.recent_turns(10)),
            [f.text for f in facts],
            [f.source_turn_id for f in facts],
        )


def test_purge_with_days_removes_old_conversations_and_keeps_facts(data_dir: Path) -> None:
    _fill(data_dir)
    result = kiosk("data", "purge", "--days", "30", "--yes")
    assert result.exit_code == 0, result.output
    assert "старше 30 дней" in result.output
    assert "1 разговор, 2 реплики" in result.output and "Факты" in result.output
    assert _state(data_dir) == (1, ["Кошку зовут Мурка"], [None])


def test_purge_takes_the_retention_setting_by_default(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(data_dir)
    monkeypatch.setenv("KIOSK_GENERAL__RETENTION_DAYS", "31")
    result = kiosk("data", "purge", "--yes")
    assert result.exit_code == 0, result.output
    assert "старше 31 дня" in result.output
    assert _state(data_dir)[0] == 1


def test_purge_without_a_retention_setting_says_there_is_nothing_to_do(data_dir: Path) -> None:
    _fill(data_dir)
    result = kiosk("data", "purge", "--yes")
    assert result.exit_code == 0, result.output
    assert "Нечего удалять" in result.output and "retention_days" in result.output
    assert _state(data_dir)[0] == 3


def test_purge_asks_in_russian_and_keeps_data_unless_confirmed(data_dir: Path) -> None:
    _fill(data_dir)
    result = kiosk("data", "purge", "--days", "30", input="нет\n")
    assert result.exit_code == 1
    assert "Стереть разговоры старше 30 дней?" in result.output
    assert "Ничего не стёрто" in result.output
    assert _state(data_dir)[0] == 3


def test_purge_confirmed_by_answer_and_nothing_old_is_reported(data_dir: Path) -> None:
    _fill(data_dir)
    assert kiosk("data", "purge", "--days", "30", input="да\n").exit_code == 0
    again = kiosk("data", "purge", "--days", "30", "--yes")
    assert again.exit_code == 0, again.output
    assert "ничего не стёрто" in again.output
