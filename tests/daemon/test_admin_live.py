"""The admin TUI against the real daemon (not the test peer): status shape, persona edits."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from kiosk.admin.app import AdminApp
from kiosk.admin.dashboard import DashboardPane
from kiosk.admin.persona_tab import PersonaPane
from kiosk.daemon.control import ControlClient

from .harness import StartLive


def _admin_module(name: str) -> Any:
    """A module of tests/admin (``tests`` is not a package, so no relative import)."""
    path = Path(__file__).resolve().parents[1] / "admin" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"admin_tests_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STATUS = _admin_module("daemon_peer").STATUS
_helpers = _admin_module("helpers")
text_of, wait_group = _helpers.text_of, _helpers.wait_group

pytestmark = pytest.mark.slow


async def _until(pilot: Any, condition: Any, tries: int = 100) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


def test_the_test_peer_speaks_the_real_daemons_status(start_live: StartLive) -> None:
    """The admin tests' stand-in must not show what the real daemon never sends."""
    live = start_live().live
    real = ControlClient(live.core.paths.socket_path).request("status")
    assert set(STATUS) <= set(real), set(STATUS) - set(real)
    assert set(real["engines"]) == set(STATUS["engines"])
    per = STATUS["resources"]["gpu"]["per_process_mb"]
    assert isinstance(per, float)  # resources.ResourceSample: one figure for the process


async def test_dashboard_and_persona_edit_against_the_running_daemon(
    start_live: StartLive,
) -> None:
    live = start_live().live
    app = AdminApp(live.core.settings, live.core.paths, reconnect_s=0.1)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(DashboardPane)
        await _until(pilot, lambda: pane.connected and not pane.stale)
        await pilot.pause()
        state = text_of(pane.query_one("#state", Static))
        assert "anya" in state and "спит" in state, state
        resources = text_of(pane.query_one("#resources", Static))
        assert "CPU" in resources and "GPU нет" in resources, resources

        await pilot.press("f4")  # the persona tab
        await pilot.pause()
        persona = app.query_one(PersonaPane)
        persona.show("anya")
        await pilot.pause()
        greeting = "Привет-привет! Я сегодня в новом платье."
        persona.query_one("#pf-greeting").value = greeting  # type: ignore[attr-defined]
        assert persona.action_save() is not None
        await wait_group(app, "daemon-command")
        await _until(pilot, lambda: live.core.persona.greeting == greeting)
