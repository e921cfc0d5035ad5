"""The dashboard: what the kiosk does right now (from the daemon) and today (from the DB)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import datetime
from datetime import time as dt_time
from typing import Any, ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Label, Sparkline, Static

from kiosk.admin import data
from kiosk.admin.base import Pane
from kiosk.admin.i18n import tr
from kiosk.admin.live import DaemonError, DaemonUnavailable, request, subscribe
from kiosk.config import GeneralSettings

__all__ = ["STAGES", "DashboardPane", "bench_line", "limits_line"]

_LOGGER = logging.getLogger(__name__)

STAGES: tuple[tuple[str, str], ...] = (
    ("stt", "Распознавание"),
    ("first_token", "Первое слово"),
    ("first_audio", "Первый звук"),
    ("first_frame", "Первый кадр"),
    ("reply_done", "Весь ответ"),
)
"""Timing keys of a turn and their Russian names, in pipeline order (ms after the child
stopped talking)."""

STATE_NAMES = {
    "sleeping": "спит",
    "listening": "слушает",
    "thinking": "думает",
    "speaking": "говорит",
}
STALE_AFTER_S = 10.0
"""A status older than this (seconds) is shown as stale."""


def _mb(value: float | None) -> str:
    if value is None:
        return "?"
    return tr("{v:.1f} ГБ", v=value / 1024) if value >= 1024 else tr("{v:.0f} МБ", v=value)


def _clock(stamp: Any) -> str:
    """Local HH:MM:SS of an ISO timestamp from the daemon (as given when unparsable)."""
    try:
        return f"{datetime.fromisoformat(str(stamp)).astimezone():%H:%M:%S}"
    except ValueError:
        return escape(str(stamp))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return tr("{h} ч {m:02d} мин", h=hours, m=minutes)
    return tr("{m} мин {s:02d} с", m=minutes, s=secs)


def limits_line(settings: GeneralSettings, talk_seconds: float, now: dt_time | None = None) -> str:
    """Today's talk time against the daily limit, and whether quiet hours are on (markup)."""
    minutes = talk_seconds / 60
    limit = settings.daily_limit_min
    if limit:
        left = limit - minutes
        line = tr("Лимит: {used:.0f} из {limit} мин", used=minutes, limit=limit)
        line += (
            tr(" (осталось {left:.0f})", left=left)
            if left > 0
            else " [b $error]" + tr("— исчерпан, Аня прощается до завтра") + "[/]"
        )
    else:
        line = tr("Лимита на день нет")
    if settings.quiet_start and settings.quiet_end:
        span = f"{settings.quiet_start}–{settings.quiet_end}"
        if data.quiet_hours_active(settings.quiet_start, settings.quiet_end, now):
            line += " · " + tr("тихие часы {span}: [b]сейчас[/]", span=span)
        else:
            line += " · " + tr("тихие часы {span}", span=span)
    else:
        line += " · " + tr("тихих часов нет")
    return line


def bench_line(bench: data.BenchSummary | None) -> str:
    """One dashboard line about the last ``kiosk bench`` (fits 78 columns)."""
    if bench is None:
        return tr("Бенч ещё не запускали: kiosk bench --quick")
    when = f"{bench.at:%d.%m %H:%M}" if bench.at is not None else "?"
    kind = tr("быстрый") if bench.quick else tr("полный")
    audio = tr("{v:.0f} мс", v=bench.first_audio_ms) if bench.first_audio_ms is not None else "?"
    fps = f"{bench.fps:.0f}" if bench.fps is not None else "?"
    ratio = f"{bench.ratio:.2f}" if bench.ratio is not None else "?"
    return tr(
        "Бенч {when} {kind}: звук через {audio}, {fps} кадр/с, поток/послед. {ratio}",
        when=when, kind=kind, audio=audio, fps=fps, ratio=ratio,
    )  # fmt: skip


class DashboardPane(Pane):
    """Live status over the control socket; DB figures always; safety alerts on top."""

    DEFAULT_CSS = """
    DashboardPane #alerts { background: $error 30%; padding: 0 1; height: auto; max-height: 4; }
    DashboardPane .row { height: 1; }
    DashboardPane .row Label.name { width: 15; }
    DashboardPane .row Sparkline { width: 1fr; height: 1; }
    DashboardPane .row Label.value { width: 10; text-align: right; }
    DashboardPane #errors { height: auto; max-height: 4; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "talk", "Говорить"),
        Binding("r", "alerts_read", "Прочитано"),
        Binding("g", "refresh", "Обновить"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.can_focus = True
        self.status: dict[str, Any] | None = None
        """Last status from the daemon (None before the first one)."""
        self.status_at = 0.0
        """``time.monotonic()`` of the last status."""
        self.connected = False
        """Whether the subscription is open right now."""
        self.history: dict[str, deque[float]] = {k: deque(maxlen=40) for k, _ in STAGES}
        self.fps: deque[float] = deque(maxlen=40)
        self._alerts: list[data.Alert] = []
        self._last_turn_at: str | None = None

    def compose(self) -> ComposeResult:
        """Alerts, state, resources, latency sparklines, today, last bench, errors."""
        yield Static(id="alerts")
        yield Static(id="state")
        yield Static(id="engines", classes="muted")
        yield Static(id="resources")
        for key, name in STAGES:
            with Horizontal(classes="row"):
                yield Label(tr(name), classes="name")
                yield Sparkline([], id=f"spark-{key}")
                yield Label("—", id=f"value-{key}", classes="value")
        with Horizontal(classes="row"):
            yield Label(tr("Кадры/с"), classes="name")
            yield Sparkline([], id="spark-fps")
            yield Label("—", id="value-fps", classes="value")
        yield Static(id="today")
        yield Static(id="limits")
        yield Static(id="bench", classes="muted")
        yield Static(id="errors", classes="error-line")

    def on_mount(self) -> None:
        """Show the database figures at once, then follow the daemon."""
        for key, values in data.latency_series(self.admin.store, [k for k, _ in STAGES]).items():
            self.history[key].extend(values)
        self.reload()
        self.set_interval(1.0, self._tick)
        self.follow_daemon()

    # --- the daemon ---------------------------------------------------------------

    @work(exclusive=True, group="daemon", exit_on_error=False)
    async def follow_daemon(self) -> None:
        """Stay subscribed to the daemon's events; reconnect after it goes away."""
        while True:
            try:
                async for message in subscribe(self.admin.socket_path):
                    self._set_connected(True)
                    self.handle_event(message.get("event", ""), message.get("data") or {})
            except (DaemonUnavailable, DaemonError) as exc:
                _LOGGER.debug("daemon not reachable: %s", exc)
            self._set_connected(False)
            await asyncio.sleep(self.admin.reconnect_s)

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.admin.daemon_up = connected
            self._show_status()

    def handle_event(self, event: str, payload: dict[str, Any]) -> None:
        """Apply one event from the daemon (``status``, ``state`` or ``turn``)."""
        if event == "status":
            self.status = payload
            self.status_at = time.monotonic()
            if (fps := payload.get("fps")) is not None:
                self.fps.append(float(fps))
            last = payload.get("last_turn") or None
            if last and last.get("at") != self._last_turn_at:
                self._last_turn_at = last.get("at")
                self._add_timings(last.get("timings_ms") or {})
        elif event == "state" and self.status is not None:
            self.status = {**self.status, "state": payload.get("state", "?")}
            self.status_at = time.monotonic()
        elif event == "turn":
            self._add_timings(payload.get("timings_ms") or {})
            self.reload()
        self._show_status()

    def _add_timings(self, timings: dict[str, Any]) -> None:
        for key, _ in STAGES:
            if key in timings:
                self.history[key].append(float(timings[key]))

    # --- drawing -------------------------------------------------------------------

    def _tick(self) -> None:
        self._show_status()

    @property
    def stale(self) -> bool:
        """True when the daemon is down or its last status is too old."""
        return not self.connected or time.monotonic() - self.status_at > STALE_AFTER_S

    def _show_status(self) -> None:
        status = self.status or {}
        state = self.query_one("#state", Static)
        if self.status is None or self.stale:
            when = (
                tr(" (последние данные {s:.0f} с назад)", s=time.monotonic() - self.status_at)
                if self.status is not None
                else ""
            )
            why = tr("Демон не запущен") if not self.connected else tr("Демон молчит")
            state.update(f"[b $warning]✖ {why}{when}[/] " + tr("— ниже данные из базы"))
            state.set_class(True, "stale")
        else:
            raw = str(status.get("state", "?"))
            name = tr(STATE_NAMES[raw]) if raw in STATE_NAMES else raw
            paused = (
                " [b $warning]" + tr("(прослушивание на паузе)") + "[/]"
                if status.get("listening_paused")
                else ""
            )
            uptime = _duration(float(status.get("uptime_s") or 0))
            state.update(
                f"[b $success]●[/] {tr('Состояние')}: [b]{escape(name)}[/]{paused}   "
                f"{tr('Персонаж:')} [b]{escape(str(status.get('persona', '?')))}[/]   "
                + tr("работает {uptime}", uptime=uptime)
                + f"   v{escape(str(status.get('version', '?')))}"
            )
            state.set_class(False, "stale")
        engines = status.get("engines") or {}
        self.query_one("#engines", Static).update(
            tr("Движки: ")
            + " · ".join(
                f"{tr(label)} {escape(str(engines.get(key, '?')))}"
                for key, label in (
                    ("stt", "STT"),
                    ("brain", "мозг"),
                    ("voice", "голос"),
                    ("avatar", "аватар"),
                )
            )  # fmt: skip
            if engines
            else tr("Персонаж в настройках: {p}", p=escape(self.admin.settings.general.persona))
        )
        self.query_one("#resources", Static).update(self._resources_line(status))
        for key, _ in STAGES:
            values = list(self.history[key])
            self.query_one(f"#spark-{key}", Sparkline).data = values
            shown = tr("{v:.0f} мс", v=values[-1]) if values else "—"
            self.query_one(f"#value-{key}", Label).update(shown)
        self.query_one("#spark-fps", Sparkline).data = list(self.fps)
        self.query_one("#value-fps", Label).update(f"{self.fps[-1]:.0f}" if self.fps else "—")
        errors = status.get("errors") or []
        self.query_one("#errors", Static).update(
            "\n".join(
                f"⚠ {_clock(e.get('at'))} {escape(str(e.get('stage', '')))}: "
                f"{escape(str(e.get('message', '')))}"
                for e in errors[-3:]
            )
        )

    def _resources_line(self, status: dict[str, Any]) -> str:
        resources = status.get("resources") or {}
        if not resources:
            return "[dim]" + tr("CPU, память и GPU видны, когда работает демон") + "[/]"
        cpu = resources.get("cpu_percent")
        line = (
            tr("CPU {cpu:.0f}%  ОЗУ {ram}", cpu=cpu, ram=_mb(resources.get("ram_mb")))
            if cpu is not None
            else ""
        )
        gpu = resources.get("gpu")
        if gpu:
            used, total = gpu.get("vram_used_mb"), gpu.get("vram_total_mb")
            line += f"  {escape(str(gpu.get('name', 'GPU')))}: " + tr(
                "VRAM {used} из {total}", used=_mb(used), total=_mb(total)
            )
            per = gpu.get("per_process_mb")
            if isinstance(per, dict) and per:
                line += " (" + ", ".join(f"{k} {_mb(v)}" for k, v in per.items()) + ")"
            elif per is not None and not isinstance(per, dict):
                line += tr(" (киоск {mb})", mb=_mb(per))
        else:
            line += "  " + tr("GPU нет — всё на процессоре")
        return line

    def reload(self) -> None:
        """Re-read alerts and today's figures from the database."""
        store = self.admin.store
        self._alerts = data.safety_alerts(store)
        alerts = self.query_one("#alerts", Static)
        if self._alerts:
            lines = [
                "[b]⚠ " + tr("Новых тревог: {n}", n=len(self._alerts)) + "[/] "
                + tr("(r — отметить прочитанными)")
            ]  # fmt: skip
            for alert in self._alerts[:3]:
                lines.append(
                    f"{alert.at:%d.%m %H:%M} [{escape(data.category_name(alert.category))}] "
                    f"«{escape(alert.child_text)}» → «{escape(alert.reply)}»"
                )
            alerts.update("\n".join(lines))
            alerts.display = True
        else:
            alerts.display = False
        today = data.today_figures(store)
        daemon = (self.status or {}) if not self.stale else {}
        seconds = today.talk_seconds
        turns = int(daemon.get("turns_today") or today.child_turns)
        self.query_one("#today", Static).update(
            tr(
                "Сегодня: разговоров {c}, реплик ребёнка {t}, говорили {d}",
                c=today.conversations, t=turns, d=_duration(seconds),
            )
            + f"   [dim]{datetime.now():%H:%M}[/]"
        )  # fmt: skip
        self.query_one("#limits", Static).update(limits_line(self.admin.settings.general, seconds))
        self.query_one("#bench", Static).update(bench_line(data.bench_summary(store)))
        self._show_status()

    def action_alerts_read(self) -> None:
        """Mark the shown alerts read."""
        if not self._alerts:
            self.notify(tr("Новых тревог нет"))
            return
        data.mark_alerts_read(self.admin.store, self._alerts)
        self.reload()

    def action_refresh(self) -> None:
        """Re-read the database."""
        self.reload()

    @work(exclusive=True, group="daemon-command")
    async def action_talk(self) -> None:
        """Open listening without the wake word (the daemon's ``talk``), as if called by name."""
        try:
            await request(self.admin.socket_path, "talk")
        except DaemonUnavailable:
            self.notify(tr("«Говорить» работает, только когда демон запущен (вкладка «Служба»)"),
                        severity="warning")  # fmt: skip
        except DaemonError as exc:
            if exc.unknown_command:
                self.notify(tr("Эта версия демона ещё не умеет «Говорить» — обновите киоск"),
                            severity="warning")  # fmt: skip
            else:
                self.admin.report(exc, tr("Аня не слушает"))
        else:
            self.notify(tr("Аня слушает — пусть ребёнок говорит"))
