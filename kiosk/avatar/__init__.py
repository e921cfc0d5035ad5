"""The avatar: face poses, the renderer and where frames go (window, nothing, video)."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
