"""Service: start/stop/restart the daemon with systemctl, its journal, and ``kiosk doctor``."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence
from typing import ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import RichLog, Static

from kiosk.admin.base import Pane
from kiosk.admin.i18n import tr

__all__ = ["UNIT", "ServicePane", "needs_privilege", "run_tool"]

_LOGGER = logging.getLogger(__name__)

UNIT = "kiosk.service"
"""The systemd unit ``install.sh --system`` installs."""

_LEVEL_MARKS = {"ok": "[green]✔[/]", "info": "[cyan]ℹ[/]", "warn": "[yellow]▲[/]",
                "error": "[red]✖[/]"}  # fmt: skip


_PRIVILEGE_MARKS = ("access denied", "authentication", "permission denied", "not permitted")
"""How systemctl says it may not act: polkit ("Interactive authentication required"),
D-Bus ("Access denied") or a plain EPERM."""


_NO_SYSTEMD = "System has not been booted with systemd"
"""What systemctl says in a container or a chroot, where the binary exists but PID 1 is not it."""


def run_tool(argv: Sequence[str], timeout: float = 30.0) -> tuple[int, str]:
    """Run a system tool; (exit code, combined output). Absent tools give code 127."""
    if shutil.which(argv[0]) is None:
        return 127, tr(
            "{tool} не найден: здесь нет systemd (обычный компьютер или контейнер)", tool=argv[0]
        )
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return 124, tr("{cmd}: нет ответа за {s:.0f} с", cmd=" ".join(argv), s=timeout)
    except OSError as exc:
        return 126, f"{argv[0]}: {exc.strerror}"
    return done.returncode, (done.stdout + done.stderr).strip()


def needs_privilege(output: str) -> bool:
    """Whether systemctl's complaint means "not allowed" (polkit or D-Bus refused us)."""
    return any(mark in output.lower() for mark in _PRIVILEGE_MARKS)


class ServicePane(Pane):
    """Keys run systemctl/journalctl/doctor in worker threads; output goes to the log."""

    DEFAULT_CSS = """
    ServicePane RichLog { height: 1fr; border-top: solid $primary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "systemctl('start')", "Запуск"),
        Binding("x", "systemctl('stop')", "Стоп"),
        Binding("r", "systemctl('restart')", "Перезапуск"),
        Binding("i", "systemctl('status')", "Статус"),
        Binding("j", "journal", "Журнал"),
        Binding("d", "doctor", "Проверка"),
    ]

    def compose(self) -> ComposeResult:
        """A help line and the output log."""
        yield Static(
            tr("Служба {unit}; d — проверить всё (kiosk doctor). Клавиши — внизу.", unit=UNIT),
            classes="muted",
        )
        yield RichLog(id="service-log", wrap=True, markup=True, max_lines=2000, min_width=20)

    def reload(self) -> None:
        """Show the unit's status the first time the tab is opened."""
        if not self.query_one(RichLog).lines:
            self.action_systemctl("status")

    def focus_first(self) -> None:
        """Focus the log (the keys work from there)."""
        self.query_one(RichLog).focus()

    def _write(self, text: str) -> None:
        self.query_one(RichLog).write(text)

    @work(exclusive=True, group="service", thread=True)
    def action_systemctl(self, verb: str) -> None:
        """``systemctl <verb> kiosk.service`` (never asks for a password)."""
        self.app.call_from_thread(self._write, f"[b]$ systemctl {verb} {UNIT}[/]")
        code, output = run_tool(["systemctl", "--no-ask-password", "--no-pager", verb, UNIT])
        if output:
            self.app.call_from_thread(self._write, escape(output))
        if code == 127 or _NO_SYSTEMD in output:
            absent = tr("systemd недоступен: запустите демон вручную (kiosk run)")
            self.app.call_from_thread(self._write, f"[yellow]▲ {escape(absent)}[/]")
            self.app.call_from_thread(self.notify, absent, severity="warning", markup=False)
        elif code != 0 and verb != "status":
            hint = tr("нужны права: запустите kiosk admin через sudo") if needs_privilege(output) \
                else tr("подробности — в журнале (j)")  # fmt: skip
            outcome = tr("systemctl {verb}: код {code}; {hint}", verb=verb, code=code, hint=hint)
            self.app.call_from_thread(self._write, f"[red]✖ {escape(outcome)}[/]")
            self.app.call_from_thread(self.notify, outcome, severity="error", markup=False)
        elif verb != "status":
            outcome = tr("systemctl {verb}: готово", verb=verb)
            self.app.call_from_thread(self._write, f"[green]✔ {escape(outcome)}[/]")
            self.app.call_from_thread(self.notify, outcome, markup=False)

    @work(exclusive=True, group="service", thread=True)
    def action_journal(self) -> None:
        """The last 40 lines of the daemon's journal."""
        self.app.call_from_thread(self._write, f"[b]$ journalctl -u {UNIT} -n 40[/]")
        code, output = run_tool(["journalctl", "--no-pager", "-u", UNIT, "-n", "40", "-o", "short"])
        self.app.call_from_thread(self._write, escape(output or tr("(пусто)")))
        if code == 127:
            self.app.call_from_thread(self.notify, tr("journalctl недоступен"), severity="warning")

    @work(exclusive=True, group="service", thread=True)
    def action_doctor(self) -> None:
        """Run the same checks as ``kiosk doctor`` and show them."""
        from kiosk.doctor import run_checks

        self.app.call_from_thread(self._write, "[b]" + tr("Проверка (kiosk doctor)…") + "[/]")
        checks = run_checks(self.admin.settings.source)
        for check in checks:
            line = f"{_LEVEL_MARKS.get(check.level, check.level)} {escape(check.area)}: " \
                f"{escape(check.message)}"  # fmt: skip
            if check.fix:
                line += f"\n    [dim]→ {escape(check.fix)}[/]"
            self.app.call_from_thread(self._write, line)
        worst = sum(c.level == "error" for c in checks)
        self.app.call_from_thread(
            self.notify,
            tr("Проверка: ошибок {n}", n=worst) if worst else tr("Проверка: всё в порядке"),
            severity="error" if worst else "information",
        )
