"""The avatar: face poses, the renderer and where frames go (window, nothing, video)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

# pygame prints a banner on import; the kiosk's output is for parents, not for SDL.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from kiosk.avatar.base import AvatarRenderer, Display, FacePose

if TYPE_CHECKING:
    from kiosk.config import AvatarSettings

__all__ = ["AvatarRenderer", "Display", "FacePose", "make_renderer"]


def make_renderer(settings: AvatarSettings) -> AvatarRenderer:
    """The renderer the settings ask for; for now always the drawn default face.

    Photo avatars (``settings.photo_asset``) come with ``kiosk avatar prepare``.
    """
    from kiosk.avatar.face import DrawnFace

    return DrawnFace(settings.size)
