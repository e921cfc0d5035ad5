"""Small helpers for driving the admin app in tests."""

from __future__ import annotations

from textual.widget import Widget


def text_of(widget: Widget) -> str:
    """The plain text a widget shows."""
    return str(widget.render())
