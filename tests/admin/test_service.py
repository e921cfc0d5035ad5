from __future__ import annotations

from textual.widgets import RichLog

from kiosk.admin.app import AdminApp
from kiosk.admin.service import run_tool

from .helpers import wait_group


def test_missing_tool_is_reported_not_raised() -> None:
    code, output = run_tool(["no-such-systemctl-here", "status"])
    assert code == 127 and "не найден" in output


async def test_doctor_results_are_shown(admin_app: AdminApp) -> None:
    async with admin_app.run_test() as pilot:
        await pilot.press("f7")
        await wait_group(admin_app, "service")
        await pilot.press("d")
        await wait_group(admin_app, "service")
        await pilot.pause()
        text = "\n".join(line.text for line in admin_app.query_one("#service-log", RichLog).lines)
        assert "kiosk doctor" in text
        assert "config:" in text
