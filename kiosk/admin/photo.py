"""Avatar from a photo, inside the admin: the guardian's consent, a progress bar, clear refusals.

The same preparation as ``kiosk avatar prepare`` (``prepare_avatar``), on a job thread
the app waits for; the dialog returns the new asset's name, which the Settings tab
then writes to ``avatar.photo_asset``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static

from kiosk.admin.i18n import tr, translate_bindings
from kiosk.cli.avatar import CONSENT_TEXT as _CLI_CONSENT
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.admin.app import AdminApp

__all__ = ["CONSENT_TEXT", "PhotoDialog", "asset_name_for"]

_LOGGER = logging.getLogger(__name__)

CONSENT_TEXT = " ".join(_CLI_CONSENT.split("\n"))
"""What the guardian reads: the very text ``kiosk avatar prepare`` asks, re-flowed."""


def asset_name_for(photo: Path) -> str:
    """The asset name ``kiosk avatar prepare`` would choose for ``photo`` (its file name)."""
    name = re.sub(r"[^\w-]+", "-", photo.stem, flags=re.UNICODE).strip("-.")
    return name or "photo"


class PhotoDialog(ModalScreen[str | None]):
    """Photo path, asset name, consent checkbox, «Создать» → progress → the asset's name."""

    DEFAULT_CSS = """
    PhotoDialog { align: center middle; }
    PhotoDialog > Vertical {
        width: 76; height: auto; max-height: 24; border: thick $accent; background: $surface;
        padding: 0 1;
    }
        PhotoDialog Checkbox { margin: 1 0 0 0; }
    PhotoDialog #photo-stage { height: 1; color: $text-muted; }
    PhotoDialog #photo-error { color: $error; height: auto; }
    PhotoDialog .buttons { height: 1; align-horizontal: right; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Отмена")]

    enhance: ClassVar[bool | None] = None
    """Real-ESRGAN: None lets the preparation decide (only a small or blurry face; minutes
    on a CPU), False never, True always."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.busy = False
        """True while the photo is being prepared."""
        self.progress = 0.0
        """Fraction done of the current stage (0..1)."""

    @property
    def admin(self) -> AdminApp:
        """The running admin app."""
        return cast("AdminApp", self.app)

    def compose(self) -> ComposeResult:
        """Consent, the two inputs, the checkbox, progress, buttons."""
        with Vertical():
            yield Label(f"[b]{tr('Аватар из фотографии')}[/]")
            yield Static(tr(CONSENT_TEXT), id="photo-consent", classes="muted")
            yield Label(tr("Файл фотографии (JPEG или PNG, одно лицо анфас)"))
            yield Input(id="photo-path", compact=True, placeholder="/home/…/photo.jpg")
            yield Label(tr("Имя аватара (пусто — по имени файла)"))
            yield Input(id="photo-name", compact=True, placeholder="masha-2026")
            yield Checkbox(tr("Я родитель или законный представитель и согласен(на)"),
                           id="photo-consent-box", compact=True)  # fmt: skip
            yield Label("", id="photo-stage")
            yield ProgressBar(total=1.0, show_eta=False, id="photo-progress")
            yield Static(id="photo-error")
            with Horizontal(classes="buttons"):
                yield Button(tr("Создать"), variant="primary", id="photo-go", compact=True)
                yield Button(tr("Отмена"), id="photo-cancel", compact=True)

    def on_mount(self) -> None:
        """Start in the path field."""
        self.query_one("#photo-path", Input).focus()

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#photo-cancel")
    def action_cancel(self) -> None:
        """Close without making anything (not while preparing: the files are being written)."""
        if self.busy:
            self.notify(tr("Подождите: аватар готовится"), severity="warning")
            return
        self.dismiss(None)

    @on(Button.Pressed, "#photo-go")
    def start(self) -> None:
        """Check the inputs and the consent, then prepare the avatar."""
        from kiosk.avatar.photo.asset import asset_dir

        if self.busy:
            return
        error = self.query_one("#photo-error", Static)
        text = self.query_one("#photo-path", Input).value.strip()
        if not text:
            error.update(tr("Укажите файл фотографии"))
            return
        photo = Path(text).expanduser()
        name = self.query_one("#photo-name", Input).value.strip() or asset_name_for(photo)
        try:
            asset_dir(self.admin.paths.avatars_dir, name)
        except ValueError:
            error.update(escape(tr("Имя «{name}» не подходит: буквы, цифры, - и _", name=name)))
            return
        if not self.query_one("#photo-consent-box", Checkbox).value:
            error.update(tr("Без согласия аватар не создаётся: отметьте галочку"))
            return
        error.update("")
        self.prepare(photo, name)

    def _progress(self, stage: str, fraction: float) -> None:
        text = tr(stage)
        self.query_one("#photo-stage", Label).update(text[:1].upper() + text[1:])
        self.progress = fraction
        self.query_one("#photo-progress", ProgressBar).update(progress=fraction)

    @work(exclusive=True, group="photo")
    async def prepare(self, photo: Path, name: str) -> str | None:
        """Run the preparation on a job thread; show progress; dismiss with ``name`` when done."""
        from kiosk.avatar.photo.prepare import prepare_avatar

        def progress(stage: str, fraction: float) -> None:
            with contextlib.suppress(RuntimeError):  # the app is closing
                self.app.call_from_thread(self._progress, stage, fraction)

        self.busy = True
        self.query_one("#photo-go", Button).disabled = True
        try:
            done = await self.admin.run_blocking(
                prepare_avatar,
                photo,
                self.admin.paths.avatars_dir,
                name,
                "admin",
                self.enhance,
                progress,
            )
        except KioskError as exc:
            message = exc.message + (f"\n→ {exc.hint}" if exc.hint else "")
            self.query_one("#photo-error", Static).update(escape(message))
            self.query_one("#photo-stage", Label).update(tr("Не получилось"))
            return None
        except Exception as exc:  # an unexpected library failure: shown, not raised
            _LOGGER.exception("avatar preparation failed")
            self.query_one("#photo-error", Static).update(escape(f"{type(exc).__name__}: {exc}"))
            return None
        finally:
            self.busy = False
            self.query_one("#photo-go", Button).disabled = False
        _LOGGER.info("admin: avatar %s prepared from %s in %.1f s", name, photo, done.seconds)
        self.notify(
            tr("Аватар «{name}» готов за {s:.0f} с", name=name, s=done.seconds), markup=False
        )
        for warning in done.warnings:
            # From the photo's pose (a turned face, downcast eyes): the avatar is built,
            # but the parent should know a front-facing photo would look better.
            self.notify(warning, severity="warning", markup=False, timeout=15)
        self.dismiss(name)
        return name
