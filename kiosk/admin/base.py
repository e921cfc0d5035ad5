"""What every tab shares: access to the app's settings, store and error reporting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.containers import Vertical

from kiosk.admin.i18n import translate_bindings

if TYPE_CHECKING:
    from kiosk.admin.app import AdminApp

__all__ = ["Pane"]


class Pane(Vertical):
    """One tab's content; ``reload`` re-reads its data when the tab is shown."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        translate_bindings(self)

    @property
    def admin(self) -> AdminApp:
        """The running admin app."""
        return cast("AdminApp", self.app)

    def reload(self) -> None:
        """Re-read what the tab shows (database, settings)."""

    def focus_first(self) -> None:
        """Put the keyboard focus on the tab's main widget."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return
