from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from textual.widgets import Static

from kiosk.admin.app import AdminApp
from kiosk.admin.dashboard import DashboardPane
from kiosk.bench import store_report
from kiosk.paths import Paths
from kiosk.store import Store

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


def _bench_report() -> dict[str, Any]:
    """Just the parts of a bench report that ``store_report`` records."""
    return {
        "created_at": "2026-03-14T09:30:00+00:00",
        "quick": True,
        "machine": {"cpu_model": "Test CPU"},
        "stages": {
            "streaming": {"first_audio": {"median": 1234.4}},
            "sequential": {"first_audio": {"median": 1870.0}},
        },
        "ratios": {"streaming_over_sequential_first_audio": 0.66},
        "render": {"fps": 87.3, "frame_ms": {"p95": 14.0}},
    }


async def test_dashboard_shows_the_last_bench_at_80x24(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths]
) -> None:
    _, paths = kiosk_env
    with Store.open(paths.database) as store:
        old = {**_bench_report(), "created_at": "2026-03-01T09:30:00+00:00", "quick": False}
        store_report(store, {**old, "render": {"fps": 5.0}})
        store_report(store, _bench_report())
    async with admin_app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = admin_app.query_one("#bench", Static)
        shown = text_of(line)
        when = datetime.fromisoformat("2026-03-14T09:30:00+00:00").astimezone()
        assert f"{when:%d.%m %H:%M}" in shown and "быстрый" in shown
        assert "1234 мс" in shown and "87 кадр/с" in shown and "0.66" in shown
        # on screen inside the 80x24 terminal: not scrolled away, clipped or covered
        region = line.region
        assert region.height >= 1 and region.right <= 80 and region.bottom <= 23
        assert admin_app.get_widget_at(region.x + 2, region.y)[0] is line


async def test_dashboard_says_how_to_run_the_bench_when_none_ran(admin_app: AdminApp) -> None:
    async with admin_app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = text_of(admin_app.query_one("#bench", Static))
        assert "ещё не запускали" in shown and "kiosk bench --quick" in shown
