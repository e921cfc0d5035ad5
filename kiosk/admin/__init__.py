"""The parent's Textual admin TUI (``kiosk admin``): ``AdminApp`` and its tabs."""

from __future__ import annotations

__all__ = ["AdminApp"]


def __getattr__(name: str) -> object:
    # Textual is imported only when the app is actually wanted.
    if name == "AdminApp":
        from kiosk.admin.app import AdminApp

        return AdminApp
    raise AttributeError(name)
