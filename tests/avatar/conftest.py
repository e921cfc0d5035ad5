"""Avatar tests draw on real pygame surfaces; SDL gets its dummy drivers (no screen here)."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
