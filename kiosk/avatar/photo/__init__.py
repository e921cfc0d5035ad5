"""A photo that talks: ``kiosk avatar prepare`` builds an asset, ``PhotoFace`` animates it.

Preparation (slow, once): find exactly one face (mediapipe face mesh), align it to a
square canvas with the eyes level, enhance a small or soft face (Real-ESRGAN x4plus on
ncnn), then precompute mouth, eye and emotion patches with mesh warps. The runtime
renderer only blits those patches.
"""

from __future__ import annotations

from kiosk.avatar.photo.asset import ASSET_VERSION, PhotoAsset, load_asset
from kiosk.avatar.photo.detect import PhotoRejected
from kiosk.avatar.photo.prepare import prepare_avatar

__all__ = ["ASSET_VERSION", "PhotoAsset", "PhotoRejected", "load_asset", "prepare_avatar"]
