from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from kiosk.admin.app import AdminApp
from kiosk.admin.config_edit import apply_settings
from kiosk.admin.settings_tab import SettingsPane
from kiosk.config import load_settings
from kiosk.errors import ConfigError
from kiosk.paths import Paths

from .daemon_peer import DaemonPeer
from .helpers import text_of, wait_group


async def test_setting_change_is_written_validated_and_recorded(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    config, _ = kiosk_env
    async with admin_app.run_test() as pilot:
        await pilot.press("f5")
        await pilot.pause()
        pane = admin_app.query_one(SettingsPane)
        pane.query_one("#set-listen--follow_up_s", Input).value = "12,5"
        pane.query_one("#set-listen--wake_phrases", Input).value = "аня, анечка"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert admin_app.settings.listen.follow_up_s == 12.5
        history = admin_app.store.settings_history("listen.follow_up_s")
        assert history[0]["value"] == 12.5 and history[0]["changed_by"] == "parent"
    text = config.read_text(encoding="utf-8")
    assert "# how long to wait" in text  # the parent's comments survive
    reloaded = load_settings(config)
    assert reloaded.listen.follow_up_s == 12.5
    assert reloaded.listen.wake_phrases == ("аня", "анечка")


async def test_out_of_range_value_is_refused_and_file_untouched(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    config, _ = kiosk_env
    before = config.read_text(encoding="utf-8")
    async with admin_app.run_test() as pilot:
        await pilot.press("f5")
        await pilot.pause()
        pane = admin_app.query_one(SettingsPane)
        pane.query_one("#set-audio--volume", Input).value = "5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "«Громкость» (audio.volume)" in text_of(pane.query_one("#settings-error", Static))
    assert config.read_text(encoding="utf-8") == before


def test_without_a_config_file_the_per_user_file_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    settings = load_settings(None)
    if settings.source is not None:
        pytest.skip(f"a config file exists on this machine: {settings.source}")
    updated = apply_settings(settings, {"audio.volume": 0.5})
    target = tmp_path / "cfg" / "kiosk" / "kiosk.toml"
    assert updated.source == target
    assert tomllib.loads(target.read_text(encoding="utf-8"))["audio"]["volume"] == 0.5


def test_unparsable_number_names_the_field(admin_app: AdminApp) -> None:
    from kiosk.admin.config_edit import FIELDS, parse_value

    field = next(f for f in FIELDS if f.key == "voice.rate_wpm")
    with pytest.raises(ConfigError, match="Темп речи"):
        parse_value(field, "быстро")


async def test_quiet_hours_limit_and_safety_are_written_and_sent_to_the_daemon(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    config, paths = kiosk_env
    peer = await DaemonPeer(paths.socket_path).start()
    try:
        async with admin_app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f5")
            await pilot.pause()
            pane = admin_app.query_one(SettingsPane)
            pane.query_one("#set-general--quiet_start", Input).value = "21:30"
            pane.query_one("#set-general--quiet_end", Input).value = "07:00"
            pane.query_one("#set-general--daily_limit_min", Input).value = "45"
            pane.query_one("#set-brain--safety_level", Select).value = "strict"
            pane.query_one("#set-brain--parent_alerts", Select).value = "нет"
            pane.query_one("#set-daemon--idle_unload_min", Input).value = "20"
            await pilot.press("ctrl+s")
            await wait_group(admin_app, "daemon-command")
            await pilot.pause()
            assert admin_app.settings.general.daily_limit_min == 45
    finally:
        await peer.stop()
    saved = load_settings(config)
    assert (saved.general.quiet_start, saved.general.quiet_end) == ("21:30", "07:00")
    assert saved.general.daily_limit_min == 45 and saved.daemon.idle_unload_min == 20
    assert saved.brain.safety_level == "strict" and saved.brain.parent_alerts is False
    assert [r["cmd"] for r in peer.requests if r["cmd"] != "subscribe"] == ["reload"]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("21:30", "", "укажите и начало, и конец"),
        ("25:00", "07:00", "«Тихие часы: с» (general.quiet_start): нужно время ЧЧ:ММ"),
    ],
)
async def test_bad_quiet_hours_are_refused_in_russian(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths], start: str, end: str, expected: str
) -> None:
    config, _ = kiosk_env
    before = config.read_text(encoding="utf-8")
    async with admin_app.run_test() as pilot:
        await pilot.press("f5")
        pane = admin_app.query_one(SettingsPane)
        pane.query_one("#set-general--quiet_start", Input).value = start
        pane.query_one("#set-general--quiet_end", Input).value = end
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert expected in text_of(pane.query_one("#settings-error", Static))
    assert config.read_text(encoding="utf-8") == before


async def test_focused_setting_is_explained_below_the_form(admin_app: AdminApp) -> None:
    async with admin_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        pane = admin_app.query_one(SettingsPane)
        pane.query_one("#set-brain--safety_level", Select).focus()
        await pilot.pause()
        help_line = pane.query_one("#settings-help", Static)
        assert "strict — ещё и" in text_of(help_line)
        assert help_line.region.bottom <= 23  # visible above the footer at 80x24
