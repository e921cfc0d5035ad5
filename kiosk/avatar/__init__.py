"""The avatar: face poses, the renderer and where frames go (window, nothing, video)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

# pygame prints a banner on import; the kiosk's output is for parents, not for SDL.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from kiosk.avatar.base import AvatarRenderer, Display, FacePose

if TYPE_CHECKING:
    from kiosk.config import AvatarSettings

__all__ = ["AvatarRenderer", "Display", "FacePose", "make_renderer"]

_LOGGER = logging.getLogger(__name__)


def make_renderer(settings: AvatarSettings, avatars_dir: Path | None = None) -> AvatarRenderer:
    """The renderer the settings ask for: the prepared photo, else the drawn default face.

    ``settings.photo_asset`` names an asset made by ``kiosk avatar prepare`` (looked
    up in ``avatars_dir``) or is the path of its folder. A missing or broken asset
    is logged and the drawn face is used, so the kiosk always has a face.
    """
    from kiosk.avatar.face import DrawnFace

    if settings.photo_asset:
        from kiosk.errors import KioskError

        folder = Path(settings.photo_asset).expanduser()
        if not folder.is_absolute() and avatars_dir is not None:
            folder = Path(avatars_dir) / settings.photo_asset
        try:
            from kiosk.avatar.photo.renderer import PhotoFace

            return PhotoFace(folder, settings.size)
        except (KioskError, ImportError) as exc:
            _LOGGER.warning("photo avatar %s unusable, drawn face instead: %s", folder, exc)
    return DrawnFace(settings.size)
