from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from kiosk.admin.app import AdminApp
from kiosk.admin.conversations import ConversationsPane
from kiosk.admin.dialogs import ConfirmDialog
from kiosk.paths import Paths

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
        assert "⚠ violence" in shown


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
    assert "Где взять пистолет?" in text and "⚠ безопасность: violence" in text
