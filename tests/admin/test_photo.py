"""Avatar from a photo in the Settings tab: consent first, Russian refusals, then it is used."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Static

from kiosk.admin.app import AdminApp
from kiosk.admin.photo import PhotoDialog
from kiosk.config import load_settings
from kiosk.paths import Paths

from .helpers import text_of, wait_group

pytest.importorskip("mediapipe")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402


def _photo(tmp_path: Path, name: str, image: object) -> Path:
    path = tmp_path / name
    Image.fromarray(image).save(path)  # type: ignore[arg-type]
    return path


async def _open_dialog(app: AdminApp, pilot, photo: Path, consent: bool) -> PhotoDialog:  # type: ignore[no-untyped-def]
    await pilot.press("f5")
    await pilot.press("ctrl+f")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, PhotoDialog)
    dialog.query_one("#photo-path", Input).value = str(photo)
    dialog.query_one("#photo-consent-box", Checkbox).value = consent
    return dialog


async def test_without_consent_nothing_is_made(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths], tmp_path: Path
) -> None:
    _, paths = kiosk_env
    photo = _photo(tmp_path, "astronaut.png", skdata.astronaut())
    async with admin_app.run_test(size=(80, 24)) as pilot:
        dialog = await _open_dialog(admin_app, pilot, photo, consent=False)
        assert "законный представитель" in text_of(dialog.query_one("#photo-consent", Static))
        dialog.start()
        await pilot.pause()
        assert "Без согласия" in text_of(dialog.query_one("#photo-error", Static))
        assert not dialog.busy
    assert not paths.avatars_dir.exists() or not any(paths.avatars_dir.iterdir())


async def test_photo_without_a_face_is_refused_in_russian(
    admin_app: AdminApp, kiosk_env: tuple[Path, Paths], tmp_path: Path
) -> None:
    config, _ = kiosk_env
    photo = _photo(tmp_path, "coffee.png", skdata.coffee())
    async with admin_app.run_test(size=(80, 24)) as pilot:
        dialog = await _open_dialog(admin_app, pilot, photo, consent=True)
        dialog.start()
        await wait_group(admin_app, "photo")
        await pilot.pause()
        error = text_of(dialog.query_one("#photo-error", Static))
        assert "не найдено лицо" in error and "→" in error
        assert admin_app.screen is dialog  # stays open: the parent picks another photo
    assert load_settings(config).avatar.photo_asset == ""


@pytest.mark.slow
async def test_prepared_photo_becomes_the_avatar(
    admin_app: AdminApp,
    kiosk_env: tuple[Path, Paths],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, paths = kiosk_env
    monkeypatch.setattr(PhotoDialog, "enhance", False)  # Real-ESRGAN takes minutes on a CPU
    photo = _photo(tmp_path, "astronaut.png", skdata.astronaut())
    async with admin_app.run_test(size=(80, 24)) as pilot:
        dialog = await _open_dialog(admin_app, pilot, photo, consent=True)
        dialog.query_one("#photo-name", Input).value = "astro"
        dialog.start()
        await wait_group(admin_app, "photo")
        await pilot.pause()
        assert dialog.progress == 1.0
        assert not isinstance(admin_app.screen, PhotoDialog)
        assert admin_app.settings.avatar.photo_asset == "astro"
    assert load_settings(config).avatar.photo_asset == "astro"
    assert 'how = "admin"' in (paths.avatars_dir / "astro" / "asset.toml").read_text()
