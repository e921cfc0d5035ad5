"""``kiosk memory`` and ``kiosk data`` through the real CLI on a temporary data dir."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kiosk.cli import main
from kiosk.paths import Paths
from kiosk.store import Store

Run = Callable[..., Result]


@pytest.fixture
def data_dir(kiosk_env: Paths) -> Path:
    return kiosk_env.data_dir


@pytest.fixture
def kiosk(data_dir: Path) -> Run:
    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input)

    return run


def _added_id(result: Result) -> int:
    assert result.exit_code == 0, result.output
    match = re.search(r"№(\d+)", result.output)
    assert match, result.output
    return int(match.group(1))


def _listed(kiosk: Run, *flags: str) -> list[dict]:  # type: ignore[type-arg]
    result = kiosk("memory", "list", "--json", *flags)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_memory_add_list_forget_pin(kiosk: Run) -> None:
    cats = _added_id(kiosk("memory", "add", "Любит кошек", "--category", "likes"))
    name = _added_id(kiosk("memory", "add", "Зовут Маша", "--priority", "0.2", "--pin"))
    dark = _added_id(kiosk("memory", "add", "Боится темноты", "--priority", "0.9"))
    facts = _listed(kiosk)
    assert [f["id"] for f in facts] == [name, dark, cats]
    assert facts[0]["pinned"] is True and facts[2]["category"] == "likes"

    result = kiosk("memory", "forget", str(cats))
    assert result.exit_code == 0, result.output
    assert "забыла" in result.output and "Любит кошек" in result.output
    assert [f["id"] for f in _listed(kiosk)] == [name, dark]
    assert {f["id"] for f in _listed(kiosk, "--all")} == {name, dark, cats}

    assert kiosk("memory", "pin", str(dark)).exit_code == 0
    assert kiosk("memory", "pin", str(name), "--off").exit_code == 0
    assert [(f["id"], f["pinned"]) for f in _listed(kiosk)] == [(dark, True), (name, False)]


def test_memory_list_human_output_is_russian(kiosk: Run) -> None:
    empty = kiosk("memory", "list")
    assert empty.exit_code == 0 and "ничего не помнит" in empty.output
    _added_id(kiosk("memory", "add", "Любит кошек"))
    result = kiosk("memory", "list")
    assert result.exit_code == 0
    assert "Любит кошек" in result.output and "важность" in result.output


def test_memory_changes_reach_the_database_the_brain_reads(kiosk: Run, data_dir: Path) -> None:
    fid = _added_id(kiosk("memory", "add", "Любит математику", "--pin"))
    with Store.open(data_dir / "kiosk.db") as store:
        [fact] = store.facts()
    assert (fact.id, fact.text, fact.pinned) == (fid, "Любит математику", True)


@pytest.mark.parametrize("command", [("forget", "99"), ("pin", "99"), ("pin", "99", "--off")])
def test_unknown_fact_id_is_one_clear_line_and_nonzero_exit(
    kiosk: Run, command: tuple[str, ...]
) -> None:
    result = kiosk("memory", *command)
    assert result.exit_code != 0
    assert "Факта №99 нет" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [("add", "Любит кошек", "--priority", "1.5"), ("add", "   "), ("forget", "abc")],
)
def test_bad_input_is_refused(kiosk: Run, args: tuple[str, ...]) -> None:
    result = kiosk("memory", *args)
    assert result.exit_code == 2, result.output
    assert _listed(kiosk, "--all") == []


def test_memory_export_writes_json_file(kiosk: Run, tmp_path: Path) -> None:
    _added_id(kiosk("memory", "add", "Любит ёжиков"))
    out = tmp_path / "export" / "memory.json"
    result = kiosk("memory", "export", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "1 факт" in result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [f["text"] for f in exported["facts"]] == ["Любит ёжиков"]
    assert out.stat().st_mode & 0o077 == 0  # the child's data: owner only


def _fill(data_dir: Path) -> None:
    with Store.open(data_dir / "kiosk.db") as store:
        cid = store.start_conversation("anya", source="voice")
        store.add_turn(cid, "child", "Привет, Аня! Я люблю кошек")
        store.add_turn(cid, "avatar", "Привет! Кошки — чудесные.", engine="scripted")
        store.add_fact("Любит кошек")
        store.set_setting("voice.volume", 0.6)


def test_data_export_contains_everything_in_russian(kiosk: Run, data_dir: Path) -> None:
    _fill(data_dir)
    result = kiosk("data", "export")
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)
    [conversation] = exported["conversations"]
    assert [t["text"] for t in conversation["turns"]] == [
        "Привет, Аня! Я люблю кошек",
        "Привет! Кошки — чудесные.",
    ]
    assert exported["facts"][0]["text"] == "Любит кошек"
    assert exported["settings_history"][0]["key"] == "voice.volume"


@pytest.mark.parametrize("answer", ["нет\n", "n\n", "\n", None])
def test_data_wipe_asks_in_russian_and_keeps_data_unless_confirmed(
    kiosk: Run, data_dir: Path, answer: str | None
) -> None:
    _fill(data_dir)
    result = kiosk("data", "wipe", input=answer)
    assert result.exit_code == 1
    assert "Стереть все разговоры" in result.output and "Ничего не стёрто" in result.output
    with Store.open(data_dir / "kiosk.db") as store:
        assert len(store.recent_turns(10)) == 2 and len(store.facts()) == 1


@pytest.mark.parametrize(("args", "answer"), [(("--yes",), None), ((), "да\n")])
def test_data_wipe_deletes_child_data_and_says_what(
    kiosk: Run, data_dir: Path, args: tuple[str, ...], answer: str | None
) -> None:
    _fill(data_dir)
    result = kiosk("data", "wipe", *args, input=answer)
    assert result.exit_code == 0, result.output
    assert "1 разговор, 2 реплики, 1 факт" in result.output
    with Store.open(data_dir / "kiosk.db") as store:
        assert store.recent_turns(10) == [] and store.facts(include_forgotten=True) == []
        assert store.get_setting("voice.volume") == 0.6


def test_memory_export_as_markdown_has_facts_by_topic_and_summaries(
    kiosk: Run, data_dir: Path, tmp_path: Path
) -> None:
    with Store.open(data_dir / "kiosk.db") as store:
        cid = store.start_conversation("anya")
        turn = store.add_turn(cid, "child", "Я люблю кошек")
        store.add_fact("Любит кошек", category="likes", source_turn_id=turn, pinned=True)
        store.add_fact("Боится темноты", category="worries")
        store.set_conversation_summary(cid, "Говорили про кошек.", turn)
    out = tmp_path / "memory.md"
    result = kiosk("memory", "export", "--format", "md", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "## Любит" in text and "- Любит кошек 📌" in text
    assert "## Тревоги" in text and "Боится темноты" in text
    assert "Говорили про кошек." in text
    exported = json.loads(kiosk("memory", "export").output)
    assert exported["summaries"] == [{"conversation_id": cid, "summary": "Говорили про кошек."}]
