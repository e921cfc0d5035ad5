"""Small helpers for driving the admin app in tests."""

from __future__ import annotations

from textual.app import App
from textual.widget import Widget


def text_of(widget: Widget) -> str:
    """The plain text a widget shows."""
    return str(widget.render())


async def wait_group(app: App[None], group: str) -> None:
    """Wait for the app's workers of ``group`` (not the endless daemon follower)."""
    workers = [w for w in app.workers if w.group == group]
    if workers:  # an empty list would mean "all workers" to Textual
        await app.workers.wait_for_complete(workers)
