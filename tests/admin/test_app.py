"""The app's life cycle: leaving while work is still running never finds the database closed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from kiosk.admin.app import AdminApp
from kiosk.paths import Paths
from kiosk.store import Store


async def test_exit_waits_for_a_running_job_before_closing_the_store(admin_app: AdminApp) -> None:
    seen: list[int] = []

    def slow_read() -> None:
        time.sleep(0.5)
        seen.append(len(admin_app.store.facts()))  # raises StoreError once the DB is closed

    async def job() -> None:
        await admin_app.run_blocking(slow_read)

    async with admin_app.run_test() as pilot:
        admin_app.run_worker(job(), group="test-job")
        await pilot.pause(0.05)
    assert seen == [3]


async def test_leaving_during_a_chat_turn_still_stores_the_turn(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.daemon.pipeline import TurnRunner

    _, paths = kiosk_env
    think = TurnRunner._think

    async def slow_think(self: TurnRunner, *args: Any) -> None:
        await asyncio.sleep(1.5)  # a loaded machine: Аня is still thinking when the parent quits
        await think(self, *args)

    monkeypatch.setattr(TurnRunner, "_think", slow_think)
    async with admin_app.run_test() as pilot:
        await pilot.press("f6")
        admin_app.query_one("#chat-input", Input).value = "Привет! Расскажи про кошек"
        await pilot.press("enter")
        await pilot.pause(0.3)  # Аня is answering: leave now
    with Store.open(paths.database) as store:
        chats = [c for c in store.conversations() if c.source == "admin"]
        assert chats, "the chat turn was lost"
        turns = store.turns(chats[0].id)
    assert [t.role for t in turns] == ["child", "avatar"]
    assert "interrupted" not in turns[1].safety  # the answer was finished, not cut off
    assert chats[0].ended_at is not None  # the local conversation was closed after the turn
