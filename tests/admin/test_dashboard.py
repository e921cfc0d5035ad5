from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from kiosk.admin.app import AdminApp
from kiosk.admin.dashboard import DashboardPane
from kiosk.paths import Paths

from .daemon_peer import DaemonPeer
from .helpers import text_of


async def _until(pilot, condition, tries: int = 50) -> None:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


async def test_dashboard_shows_daemon_values_and_marks_them_stale(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    _, paths = kiosk_env
    peer = await DaemonPeer(paths.socket_path).start()
    try:
        async with admin_app.run_test() as pilot:
            pane = admin_app.query_one(DashboardPane)
            await _until(pilot, lambda: pane.connected and not pane.stale)
            await pilot.pause()
            state = text_of(pane.query_one("#state", Static))
            assert "слушает" in state and "anya" in state
            resources = text_of(pane.query_one("#resources", Static))
            assert "RTX 3060" in resources and "6.1 ГБ из 12.0 ГБ" in resources
            assert "777 мс" in text_of(pane.query_one("#value-first_audio"))
            assert "espeak споткнулся" in text_of(pane.query_one("#errors", Static))
            assert "реплик ребёнка 7" in text_of(pane.query_one("#today", Static))
            await peer.push("state", {"state": "speaking"})
            await _until(pilot, lambda: "говорит" in text_of(pane.query_one("#state", Static)))
            await peer.stop()
            await _until(pilot, lambda: pane.stale)
            await pilot.pause()
            state = text_of(pane.query_one("#state", Static))
            assert "Демон не запущен" in state and "данные из базы" in state
            assert not admin_app.daemon_up
    finally:
        await peer.stop()


async def test_without_daemon_database_figures_are_shown(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.pause()
        pane = admin_app.query_one(DashboardPane)
        assert "Демон не запущен" in text_of(pane.query_one("#state", Static))
        assert "реплик ребёнка 3" in text_of(pane.query_one("#today", Static))
        assert "640 мс" in text_of(pane.query_one("#value-first_audio"))


async def test_safety_alert_is_shown_until_marked_read(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.pause()
        pane = admin_app.query_one(DashboardPane)
        alerts = pane.query_one("#alerts", Static)
        assert alerts.display
        shown = text_of(alerts)
        assert "Где взять пистолет?" in shown and "Спроси у мамы" in shown
        await pilot.press("r")
        await pilot.pause()
        assert not alerts.display
        # the mark is in the database, so it stays read after a restart of the admin
        assert admin_app.store.get_setting("admin.alerts_read_up_to") is not None
