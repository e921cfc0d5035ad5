"""``kiosk admin --lang en``: no Russian left on any screen, except the child's own content."""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.admin.app import TABS, AdminApp
from kiosk.admin.i18n import set_language, tr
from kiosk.admin.i18n_en import EN
from kiosk.brain.persona import list_personas, system_prompt
from kiosk.config import load_settings
from kiosk.paths import Paths
from kiosk.store import Store

_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]+")


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("ru")


def _content(paths: Paths, app: AdminApp) -> str:
    """Everything the child, Аня or the parent's own data put on screen (never translated)."""
    parts: list[str] = []
    with Store.open(paths.database) as store:
        for conversation in store.conversations(limit=1000):
            parts += [t.text for t in store.turns(conversation.id)]
        facts = [f.text for f in store.facts()]
    parts += facts
    for persona in list_personas(paths):
        parts.append(" ".join(str(v) for v in persona.model_dump().values()))
        parts.append(system_prompt(persona, facts, app.settings.general.child_name))
    parts += [", ".join(app.settings.listen.wake_phrases), app.settings.general.child_name]
    return "\n".join(parts)


def _screen_text(app: AdminApp) -> str:
    svg = app.export_screenshot()
    return html.unescape(" ".join(re.findall(r">([^<>]*)</text>", svg))).replace("\xa0", " ")


def _untranslated(screen: str, content: str) -> list[str]:
    return [w for w in _CYRILLIC_WORD.findall(screen) if w not in content]


def test_every_translation_keeps_the_values_it_formats() -> None:
    fields = string.Formatter()
    for russian, english in EN.items():
        wanted = {f for _, f, _, _ in fields.parse(russian) if f}
        got = {f for _, f, _, _ in fields.parse(english) if f}
        assert wanted == got, russian
        assert not _CYRILLIC_WORD.search(english), english


@pytest.mark.slow
async def test_no_russian_left_on_any_screen_in_english(
    english: None, kiosk_env: tuple[Path, Paths]
) -> None:
    config, paths = kiosk_env
    app = AdminApp(load_settings(config), paths, reconnect_s=0.1)
    content = _content(paths, app)
    assert tr("Сохранить") == "Save"
    async with app.run_test(size=(80, 24)) as pilot:
        for i, (tab, _) in enumerate(TABS, start=1):
            await pilot.press(f"f{i}")
            await pilot.pause(0.2)
            if tab == "conversations":
                await pilot.press("down", "down")
                await pilot.pause()
            assert not _untranslated(_screen_text(app), content), tab
        await pilot.press("f3", "a")  # a fact form
        await pilot.pause()
        assert not _untranslated(_screen_text(app), content), "fact form"
        await pilot.press("escape", "d")  # forget? (a confirmation)
        await pilot.pause()
        assert not _untranslated(_screen_text(app), content), "confirm dialog"
        await pilot.press("escape", "f5", "ctrl+f")  # avatar from a photo
        await pilot.pause()
        assert not _untranslated(_screen_text(app), content), "photo dialog"
        await pilot.press("escape", "f5")
        app.query_one("#set-general--quiet_start").value = "21:00"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = _screen_text(app)
        assert "Quiet hours: give both" in error, error
        assert not _untranslated(error, content), "settings error"


def test_russian_is_the_default() -> None:
    assert tr("Сохранить") == "Сохранить"
    assert tr("Найдено: {n}", n=2) == "Найдено: 2"
