from __future__ import annotations

import tomllib
from pathlib import Path

from textual.widgets import Input, Static

from kiosk.admin.app import AdminApp
from kiosk.admin.persona_tab import PersonaPane
from kiosk.brain.persona import load_persona
from kiosk.paths import Paths

from .helpers import text_of


async def _open(admin_app: AdminApp, pilot) -> PersonaPane:  # type: ignore[no-untyped-def]
    await pilot.press("f4")
    await pilot.pause()
    return admin_app.query_one(PersonaPane)


async def test_invalid_age_is_refused_with_a_message_naming_the_field(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    _, paths = kiosk_env
    async with admin_app.run_test() as pilot:
        pane = await _open(admin_app, pilot)
        pane.query_one("#pf-age", Input).value = "150"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = text_of(pane.query_one("#persona-error", Static))
        assert "«Возраст» (age)" in error
        assert not (paths.personas_dir / "anya.toml").exists()


async def test_empty_greeting_is_refused(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        pane = await _open(admin_app, pilot)
        pane.query_one("#pf-greeting", Input).value = "  "
        assert pane.action_save() is None
        assert "«Приветствие» (greeting)" in text_of(pane.query_one("#persona-error", Static))


async def test_saved_persona_goes_to_parents_folder_and_loads(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    _, paths = kiosk_env
    async with admin_app.run_test() as pilot:
        pane = await _open(admin_app, pilot)
        pane.query_one("#pf-interests", Input).value = "шахматы, динозавры"
        await pilot.press("ctrl+s")
        await pilot.pause()
    persona = load_persona("anya", paths)
    assert persona.interests == ("шахматы", "динозавры")
    assert (paths.personas_dir / "anya.toml").is_file()


async def test_new_persona_from_template_and_switch(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    config, paths = kiosk_env
    async with admin_app.run_test() as pilot:
        pane = await _open(admin_app, pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        dialog = admin_app.screen
        dialog.query_one("#field-id", Input).value = "katya"
        dialog.query_one("#field-name", Input).value = "Катя"
        await pilot.click("#save")
        await pilot.pause()
        assert pane.current == "katya"
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert admin_app.settings.general.persona == "katya"
    assert load_persona("katya", paths).name == "Катя"
    assert tomllib.loads(config.read_text(encoding="utf-8"))["general"]["persona"] == "katya"
