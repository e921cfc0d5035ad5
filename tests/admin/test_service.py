from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from textual.widgets import RichLog

from kiosk.admin.app import AdminApp
from kiosk.admin.service import needs_privilege, run_tool

from .helpers import wait_group

# Stand-ins for systemd, which is absent here: each call appends its argv to $FAKE_SYSTEMD_LOG.
# `stop` is refused the way polkit refuses a user who may not manage the unit.
_FAKE_SYSTEMCTL = """#!/bin/sh
printf 'systemctl %s\\n' "$*" >> "$FAKE_SYSTEMD_LOG"
case "$3" in
  start|restart) exit 0 ;;
  stop) echo "Failed to stop kiosk.service: Access denied" >&2; exit 1 ;;
  status) printf '%s\\n' "● kiosk.service - Kiosk talking avatar" \\
            "     Active: inactive (dead)"; exit 3 ;;
esac
echo "unexpected: $*" >&2; exit 2
"""
_FAKE_JOURNALCTL = """#!/bin/sh
printf 'journalctl %s\\n' "$*" >> "$FAKE_SYSTEMD_LOG"
echo "Mar 14 09:30:01 kiosk kiosk[812]: daemon ready in 4.2 s"
echo "Mar 14 09:31:12 kiosk kiosk[812]: wake word heard"
"""


@pytest.fixture
def fake_systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put executable fake systemctl and journalctl first on PATH; return their call log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in (("systemctl", _FAKE_SYSTEMCTL), ("journalctl", _FAKE_JOURNALCTL)):
        tool = bin_dir / name
        tool.write_text(script, encoding="utf-8")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("PATH", str(bin_dir), prepend=os.pathsep)
    monkeypatch.setenv("FAKE_SYSTEMD_LOG", str(log))
    return log


def _calls(log: Path) -> list[str]:
    """The command lines the fake tools were run with, in order."""
    return log.read_text(encoding="utf-8").splitlines()


def _log_text(app: AdminApp) -> str:
    return "\n".join(line.text for line in app.query_one("#service-log", RichLog).lines)


def _notices(app: AdminApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


def test_missing_tool_is_reported_not_raised() -> None:
    code, output = run_tool(["no-such-systemctl-here", "status"])
    assert code == 127 and "не найден" in output


def test_fake_tool_gives_its_exit_code_and_both_streams(fake_systemd: Path) -> None:
    code, output = run_tool(["systemctl", "--no-ask-password", "--no-pager", "stop", "x"])
    assert code == 1
    assert output == "Failed to stop kiosk.service: Access denied"


@pytest.mark.parametrize(
    ("output", "refused"),
    [
        ("Failed to stop kiosk.service: Access denied", True),
        ("Failed to start kiosk.service: Interactive authentication required.", True),
        ("Failed to start kiosk.service: Unit kiosk.service not found.", False),
        ("Job for kiosk.service failed because the control process exited", False),
    ],
)
def test_privilege_refusals_are_told_apart(output: str, refused: bool) -> None:
    assert needs_privilege(output) is refused


async def test_tab_shows_status_on_first_open(admin_app: AdminApp, fake_systemd: Path) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f7")
        await wait_group(admin_app, "service")
        await pilot.pause()
        text = _log_text(admin_app)
    assert "$ systemctl status kiosk.service" in text
    assert "Active: inactive (dead)" in text
    assert _calls(fake_systemd) == ["systemctl --no-ask-password --no-pager status kiosk.service"]
    assert _notices(admin_app) == []  # an inactive unit (exit 3) is news, not an error


async def test_start_restart_and_journal_run_the_right_commands(
    admin_app: AdminApp, fake_systemd: Path
) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f7")
        for key in ("s", "r", "j"):
            await wait_group(admin_app, "service")
            await pilot.press(key)
        await wait_group(admin_app, "service")
        await pilot.pause()
        text = _log_text(admin_app)
    assert _calls(fake_systemd)[1:] == [
        "systemctl --no-ask-password --no-pager start kiosk.service",
        "systemctl --no-ask-password --no-pager restart kiosk.service",
        "journalctl --no-pager -u kiosk.service -n 40 -o short",
    ]
    assert "✔ systemctl start: готово" in text
    assert "✔ systemctl restart: готово" in text
    assert "$ journalctl -u kiosk.service -n 40" in text
    assert "kiosk[812]: wake word heard" in text
    assert ("systemctl start: готово", "information") in _notices(admin_app)


async def test_refused_stop_is_shown_in_russian_with_a_hint(
    admin_app: AdminApp, fake_systemd: Path
) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f7")
        await wait_group(admin_app, "service")
        await pilot.press("x")
        await wait_group(admin_app, "service")
        await pilot.pause()
        text = _log_text(admin_app)
    assert _calls(fake_systemd)[-1] == ("systemctl --no-ask-password --no-pager stop kiosk.service")
    assert "Failed to stop kiosk.service: Access denied" in text
    outcome = "systemctl stop: код 1; нужны права: запустите kiosk admin через sudo"
    assert f"✖ {outcome}" in text
    assert (outcome, "error") in _notices(admin_app)
    assert "готово" not in text


async def test_systemctl_without_systemd_says_to_start_by_hand(
    admin_app: AdminApp, fake_systemd: Path
) -> None:
    (fake_systemd.parent / "bin" / "systemctl").write_text(
        "#!/bin/sh\necho 'System has not been booted with systemd as init system (PID 1).' >&2\n"
        "exit 1\n",
        encoding="utf-8",
    )
    async with admin_app.run_test() as pilot:
        await pilot.press("f7")
        await wait_group(admin_app, "service")
        await pilot.pause()
        text = _log_text(admin_app)
    absent = "systemd недоступен: запустите демон вручную (kiosk run)"
    assert f"▲ {absent}" in text
    assert (absent, "warning") in _notices(admin_app)


async def test_doctor_results_are_shown(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f7")
        await wait_group(admin_app, "service")
        await pilot.press("d")
        await wait_group(admin_app, "service")
        await pilot.pause()
        text = _log_text(admin_app)
        assert "kiosk doctor" in text
        assert "config:" in text
