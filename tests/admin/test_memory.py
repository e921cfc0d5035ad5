from __future__ import annotations

from textual.widgets import DataTable, Input

from kiosk.admin.app import AdminApp
from kiosk.admin.dialogs import ConfirmDialog, FormDialog
from kiosk.admin.memory import MemoryPane


async def _open_memory(admin_app: AdminApp, pilot) -> MemoryPane:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await pilot.pause()
    return admin_app.query_one(MemoryPane)


async def test_editing_a_fact_changes_database_and_prompt(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        pane = await _open_memory(admin_app, pilot)
        fact = pane.selected_fact()
        assert fact is not None and fact.text == "Есть кошка Мурка"
        assert "Есть кошка Мурка" in pane.update_preview()
        await pilot.press("e")
        await pilot.pause()
        dialog = admin_app.screen
        assert isinstance(dialog, FormDialog)
        dialog.query_one("#field-text", Input).value = "Есть кошка Мурка и пёс Шарик"
        await pilot.click("#save")
        await pilot.pause()
        assert admin_app.store.fact(fact.id).text == "Есть кошка Мурка и пёс Шарик"
        preview = pane.update_preview()
        assert "- Есть кошка Мурка и пёс Шарик" in preview


async def test_fact_added_by_hand_reaches_the_prompt(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        pane = await _open_memory(admin_app, pilot)
        await pilot.press("a")
        await pilot.pause()
        dialog = admin_app.screen
        assert isinstance(dialog, FormDialog)
        dialog.query_one("#field-text", Input).value = "У Маши аллергия на орехи"
        dialog.query_one("#field-priority", Input).value = "1"
        await pilot.click("#save")
        await pilot.pause()
        texts = [f.text for f in admin_app.store.facts()]
        assert texts[0] == "У Маши аллергия на орехи"
        assert "У Маши аллергия на орехи" in pane.update_preview()
        assert pane.query_one(DataTable).row_count == 4


async def test_bad_priority_is_refused(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await _open_memory(admin_app, pilot)
        await pilot.press("a")
        await pilot.pause()
        dialog = admin_app.screen
        assert isinstance(dialog, FormDialog)
        dialog.query_one("#field-text", Input).value = "Любит футбол"
        dialog.query_one("#field-priority", Input).value = "7"
        await pilot.click("#save")
        await pilot.pause()
        assert "Любит футбол" not in [f.text for f in admin_app.store.facts()]


async def test_forget_and_pin_change_what_the_brain_gets(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        pane = await _open_memory(admin_app, pilot)
        await pilot.press("down", "p")  # pin «Любит космос»
        await pilot.pause()
        assert admin_app.store.facts()[0].text == "Любит космос"
        assert admin_app.store.facts()[0].pinned
        await pilot.press("d")  # the cursor followed the pinned fact
        await pilot.pause()
        assert isinstance(admin_app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await pilot.pause()
        assert "Любит космос" not in [f.text for f in admin_app.store.facts()]
        assert "Любит космос" not in pane.update_preview()
