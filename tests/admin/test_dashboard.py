from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from kiosk.admin.app import AdminApp
from kiosk.admin.dashboard import DashboardPane, limits_line
from kiosk.admin.data import quiet_hours_active
from kiosk.bench import store_report
from kiosk.config import GeneralSettings, load_settings
from kiosk.paths import Paths
from kiosk.store import Store

from .daemon_peer import DaemonPeer
from .helpers import text_of, wait_group


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


@pytest.mark.parametrize(
    ("start", "end", "now", "quiet"),
    [
        ("21:30", "07:00", "23:00", True),
        ("21:30", "07:00", "06:59", True),
        ("21:30", "07:00", "07:00", False),
        ("21:30", "07:00", "12:00", False),
        ("13:00", "15:00", "14:10", True),
        ("13:00", "15:00", "15:30", False),
        ("", "", "23:00", False),
    ],
)
def test_quiet_hours_span_midnight(start: str, end: str, now: str, quiet: bool) -> None:
    assert quiet_hours_active(start, end, time.fromisoformat(now)) is quiet


def test_limits_line_counts_minutes_against_the_daily_limit() -> None:
    general = GeneralSettings(daily_limit_min=30, quiet_start="21:30", quiet_end="07:00")
    assert "Лимит: 12 из 30 мин (осталось 18)" in limits_line(general, 12 * 60, time(12, 0))
    assert "тихие часы 21:30–07:00" in limits_line(general, 0, time(12, 0))
    late = limits_line(general, 31 * 60, time(22, 0))
    assert "исчерпан" in late and "сейчас" in late
    assert "Лимита на день нет" in limits_line(GeneralSettings(), 0)


async def test_dashboard_shows_todays_limit_and_quiet_hours(
    kiosk_env: tuple[Path, Paths],
) -> None:
    config, paths = kiosk_env
    with config.open("a", encoding="utf-8") as f:
        f.write('\n[general]\ndaily_limit_min = 60\nquiet_start = "00:00"\nquiet_end = "23:59"\n')
    app = AdminApp(load_settings(config), paths, reconnect_s=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        limits = app.query_one("#limits", Static)
        shown = text_of(limits)
        assert "из 60 мин" in shown and "тихие часы 00:00–23:59: сейчас" in shown
        assert limits.region.bottom <= 23 and limits.region.right <= 80


@pytest.mark.parametrize(
    ("knows_talk", "expected"),
    [(True, "Аня слушает"), (False, "ещё не умеет «Говорить»")],
)
async def test_talk_opens_listening_or_says_the_daemon_cannot(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths], knows_talk: bool, expected: str
) -> None:
    _, paths = kiosk_env
    notes: list[str] = []
    peer = await DaemonPeer(paths.socket_path, talk=knows_talk).start()
    try:
        async with admin_app.run_test() as pilot:
            admin_app.notify = lambda message, **_: notes.append(message)  # type: ignore[method-assign]
            await pilot.press("t")
            await wait_group(admin_app, "daemon-command")
            await pilot.pause()
    finally:
        await peer.stop()
    assert any(r["cmd"] == "talk" for r in peer.requests)
    assert any(expected in note for note in notes), notes


async def test_talk_without_the_daemon_is_explained(admin_app: AdminApp) -> None:
    notes: list[str] = []
    async with admin_app.run_test() as pilot:
        admin_app.notify = lambda message, **_: notes.append(message)  # type: ignore[method-assign]
        await pilot.press("t")
        await wait_group(admin_app, "daemon-command")
    assert any("только когда демон запущен" in note for note in notes), notes


def test_todays_talk_time_is_the_figure_the_daily_limit_counts(tmp_path: Path) -> None:
    from kiosk.admin.data import today_figures
    from kiosk.daemon.policy import CHILD_SPEECH_MARK, REPLY_AUDIO_MARK, TalkPolicy

    with Store.open(tmp_path / "kiosk.db") as store:
        conversation = store.start_conversation("anya")
        store.add_turn(conversation, "child", "Привет!")
        store.add_turn(
            conversation,
            "avatar",
            "Привет! Как дела?",
            timings={CHILD_SPEECH_MARK: 1500.0, REPLY_AUDIO_MARK: 2500.0},
        )
        figures = today_figures(store)
        policy = TalkPolicy(GeneralSettings(daily_limit_min=1), store)
        assert figures.child_turns == 1
        assert figures.talk_seconds == pytest.approx(4.0)
        assert figures.talk_seconds == pytest.approx(policy.talk_seconds_today())
        assert "исчерпан" in limits_line(GeneralSettings(daily_limit_min=1), 60.0, time(12, 0))


def test_bench_summary_carries_the_photo_face_and_live_window_fps(tmp_path: Path) -> None:
    from kiosk.admin.data import bench_summary

    with Store.open(tmp_path / "kiosk.db") as store:
        store_report(store, _bench_report())
        plain = bench_summary(store)
        assert plain is not None
        assert plain.photo_fps_cpu is None and plain.window_fps is None
        faces = {"faces": {"drawn": {"fps_cpu": 410.0}, "photo": {"fps_cpu": 152.6}}}
        window = {"faces": {"drawn": {"fps": 59.8}, "photo": {"fps": 58.1}}}
        newer = {**_bench_report(), "created_at": "2026-03-15T09:30:00+00:00"}
        store_report(store, {**newer, "faces": faces, "window": window})
        summary = bench_summary(store)
        assert summary is not None and summary.fps == pytest.approx(87.3)
        assert summary.photo_fps_cpu == pytest.approx(152.6)
        assert (summary.window_face, summary.window_fps) == ("photo", pytest.approx(58.1))
        drawn_only = {**_bench_report(), "created_at": "2026-03-16T09:30:00+00:00"}
        store_report(store, {**drawn_only, "window": {"faces": {"drawn": {"fps": 60.0}}}})
        summary = bench_summary(store)
        assert summary is not None and summary.photo_fps_cpu is None
        assert (summary.window_face, summary.window_fps) == ("drawn", pytest.approx(60.0))
