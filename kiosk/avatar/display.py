"""Where avatar frames are shown: a pygame window (or the fullscreen kiosk), or nowhere.

``PygameDisplay`` must be created and used on the main thread (SDL wants it).
``HeadlessDisplay`` keeps the last frame, for tests, screenshots and machines
without a screen.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import DisplayUnavailable

if TYPE_CHECKING:
    import pygame

    from kiosk.avatar.base import Display
    from kiosk.config import AvatarSettings

__all__ = ["HeadlessDisplay", "KeyEvent", "PygameDisplay", "fit_square", "make_display"]

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KeyEvent:
    """A key pressed or released in the avatar window."""

    key: str
    """pygame's key name: ``"space"``, ``"a"``, ``"return"``…"""
    pressed: bool
    """True when pressed, False when released."""


def fit_square(width: int, height: int) -> tuple[int, int, int, int]:
    """The largest centred square in a ``width`` × ``height`` screen: (x, y, side, side)."""
    side = min(width, height)
    return ((width - side) // 2, (height - side) // 2, side, side)


class PygameDisplay:
    """A window (or the whole screen, letterboxed with black bars) showing the avatar."""

    def __init__(self, size: int, fullscreen: bool = False, title: str = "Аня") -> None:
        import pygame

        self.size = size
        self.closed = False
        self._keys: list[KeyEvent] = []
        try:
            pygame.display.init()
            if fullscreen:
                self._screen = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
                pygame.mouse.set_visible(False)
            else:
                self._screen = pygame.display.set_mode((size, size))
            pygame.display.set_caption(title)
        except pygame.error as exc:
            raise DisplayUnavailable(
                f"Не удаётся открыть окно аватара: {exc}",
                "запустите с --headless или проверьте экран (DISPLAY/WAYLAND_DISPLAY, сессия cage)",
            ) from exc
        self._screen.fill((0, 0, 0))
        _LOGGER.info("avatar display %s×%s", *self._screen.get_size())

    @property
    def frame_side(self) -> int:
        """Side in pixels of the square the frame fills (render at this size to skip scaling)."""
        return fit_square(*self._screen.get_size())[2]

    def show(self, frame: pygame.Surface, t: float) -> None:
        """Present ``frame`` now (``t`` is only for the log); handles window events."""
        import pygame

        self._pump()
        if self.closed:
            return
        x, y, side, _ = fit_square(*self._screen.get_size())
        if frame.get_size() == (side, side):
            self._screen.blit(frame, (x, y))
        else:  # smoothscale wants 24/32-bit pixels; the window may be 16-bit
            self._screen.blit(pygame.transform.smoothscale(frame, (side, side)), (x, y))
        pygame.display.flip()

    def poll_keys(self) -> list[KeyEvent]:
        """Keys pressed or released since the last call (for push-to-talk on space)."""
        self._pump()
        keys, self._keys = self._keys, []
        return keys

    def close(self) -> None:
        """Close the window."""
        import pygame

        self.closed = True
        pygame.display.quit()

    def _pump(self) -> None:
        import pygame

        if not pygame.display.get_init():
            self.closed = True
            return
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.closed = True
            elif event.type in (pygame.KEYDOWN, pygame.KEYUP):
                if event.key == pygame.K_ESCAPE:
                    self.closed = True
                else:
                    name = pygame.key.name(event.key)
                    self._keys.append(KeyEvent(name, event.type == pygame.KEYDOWN))


class HeadlessDisplay:
    """Shows nothing; keeps the last frame so it can be saved as a picture."""

    def __init__(self) -> None:
        self.closed = False
        self.frames = 0
        """How many frames were shown."""
        self.last_t: float | None = None
        """``t`` of the last frame shown."""
        self.last_frame: pygame.Surface | None = None
        """A copy of the last frame shown."""

    def show(self, frame: pygame.Surface, t: float) -> None:
        """Keep a copy of ``frame``."""
        self.last_frame = frame.copy()
        self.last_t = t
        self.frames += 1

    def save_png(self, path: Path) -> Path:
        """Write the last frame to ``path`` (PNG), atomically."""
        import pygame

        if self.last_frame is None:
            raise ValueError("no frame has been shown yet")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.png")
        pygame.image.save(self.last_frame, str(tmp))
        tmp.replace(path)
        return path

    def close(self) -> None:
        """Nothing to close."""
        self.closed = True


def make_display(settings: AvatarSettings, headless: bool) -> Display:
    """The display the settings ask for: a window or fullscreen, or none when ``headless``."""
    if headless:
        return HeadlessDisplay()
    return PygameDisplay(settings.size, fullscreen=settings.fullscreen)
