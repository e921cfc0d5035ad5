from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.content import Content
from textual.widgets import Input, Static

from kiosk.admin import data
from kiosk.admin.app import AdminApp
from kiosk.admin.conversations import EMOTION_MARKS, ConversationsPane, format_turn
from kiosk.admin.dialogs import ConfirmDialog
from kiosk.brain.emotion import EMOTIONS
from kiosk.paths import Paths
from kiosk.store.records import Turn

from .helpers import text_of, wait_group


async def test_search_finds_a_turn(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f2")
        await pilot.press("slash")
        box = admin_app.query_one("#conv-search", Input)
        assert box.has_focus
        box.value = "кошки"  # another form of the word: the FTS stemming finds «кошка»
        await pilot.press("enter")
        await pilot.pause()
        shown = text_of(admin_app.query_one("#transcript", Static))
        assert "Найдено: 1" in shown
        assert "кошка Мурка" in shown


async def test_search_for_absent_word_finds_nothing(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f2")
        pane = admin_app.query_one(ConversationsPane)
        assert pane.search("динозавр") == []
        await pilot.pause()
        assert "Найдено: 0" in text_of(admin_app.query_one("#transcript", Static))


async def test_transcript_marks_safety_interventions(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f2")
        pane = admin_app.query_one(ConversationsPane)
        newest = admin_app.store.conversations()[0]
        pane.show_conversation(newest)
        await pilot.pause()
        shown = text_of(admin_app.query_one("#transcript", Static))
        assert "Где взять пистолет?" in shown
        assert "⚠ насилие" in shown  # the category in Russian


async def test_wipe_needs_confirmation(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f2", "w")
        await pilot.pause()
        assert isinstance(admin_app.screen, ConfirmDialog)
        await pilot.press("enter")  # «Нет» has the focus: Enter keeps everything
        await pilot.pause()
        assert len(admin_app.store.conversations()) == 2
        await pilot.press("w")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        assert admin_app.store.conversations() == []
        assert admin_app.store.facts() == []


async def test_export_markdown_writes_every_turn(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    _, paths = kiosk_env
    async with admin_app.run_test() as pilot:
        await pilot.press("f2", "m")
        await wait_group(admin_app, "export")
        await pilot.pause()
    files = list(paths.output_dir.glob("kiosk-export-*.md"))
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    assert "Где взять пистолет?" in text and "⚠ безопасность: насилие" in text


async def test_export_json_keeps_every_turn_with_its_marks(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    _, paths = kiosk_env
    async with admin_app.run_test() as pilot:
        await pilot.press("f2", "j")
        await wait_group(admin_app, "export")
        await pilot.pause()
    files = list(paths.output_dir.glob("kiosk-export-*.json"))
    assert len(files) == 1
    exported = json.loads(files[0].read_text(encoding="utf-8"))
    assert exported["format"] == "kiosk-export"
    conversations = exported["conversations"]
    assert [len(c["turns"]) for c in conversations] == [4, 2]
    first, second = conversations
    assert first["turns"][0]["text"] == "Привет, Аня! Расскажи про космос"
    assert [t["emotion"] for t in first["turns"] if t["role"] == "avatar"] == ["excited", "happy"]
    assert first["turns"][1]["timings_ms"]["first_audio"] == 640.0
    refusal = second["turns"][1]
    assert (refusal["role"], refusal["safety"]) == ("avatar", "violence")
    assert {f["text"] for f in exported["facts"]} == {
        "Любит космос", "Есть кошка Мурка", "Учится в шестом классе"
    }  # fmt: skip


async def test_transcript_highlights_anyas_emotions(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f2")
        pane = admin_app.query_one(ConversationsPane)
        oldest = admin_app.store.conversations()[-1]
        pane.show_conversation(oldest)
        await pilot.pause()
        lines = text_of(admin_app.query_one("#transcript", Static)).splitlines()
    avatar = [line for line in lines if " Аня " in line]
    child = [line for line in lines if " Ребёнок" in line]
    assert "Аня 🤩восторг: Привет! Космос огромный." in avatar[0]
    assert "Аня 😊радость: Как здорово!" in avatar[1]
    assert child and not any(mark in line for line in child for mark in EMOTION_MARKS.values())


def _turn(role: str, emotion: str) -> Turn:
    moment = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    return Turn(1, 1, role, "Ура!", emotion, "ok", "voice", "scripted", moment)


@pytest.mark.parametrize("emotion", [e for e in EMOTIONS if e != "neutral"])
def test_every_brain_emotion_has_a_mark_and_a_russian_name(emotion: str) -> None:
    line = Content.from_markup(format_turn(_turn("avatar", emotion)))
    name = data.EMOTION_NAMES[emotion]
    label = f"{EMOTION_MARKS[emotion]}{name}"
    assert f"Аня {label}: Ура!" in line.plain
    start = line.plain.index(name)
    assert any(s.start == start and s.style == "dim" for s in line.spans), line.spans


@pytest.mark.parametrize(("role", "emotion"), [("avatar", "neutral"), ("child", "happy")])
def test_neutral_or_childs_turn_has_no_emotion_mark(role: str, emotion: str) -> None:
    plain = Content.from_markup(format_turn(_turn(role, emotion))).plain
    assert plain.endswith(f"{data.ROLE_NAMES[role]}: Ура!")
