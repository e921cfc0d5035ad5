"""Protocols of the avatar: a renderer that draws a pose, a display that shows frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kiosk.events import State

if TYPE_CHECKING:
    import pygame

__all__ = ["AvatarRenderer", "Display", "FacePose"]


@dataclass(frozen=True, slots=True)
class FacePose:
    """Everything that shapes one frame of the face."""

    mouth_open: float = 0.0
    """0 closed .. 1 wide open."""
    eyes_open: float = 1.0
    """0 closed (blink, sleep) .. 1 open."""
    emotion: str = "neutral"
    """Emotion label (``kiosk.brain.emotion``) the face shows."""
    state: State = State.SLEEPING
    """What the kiosk is doing; each state looks different."""
    head_x: float = 0.0
    """Horizontal head offset, -1..1 of a small range (idle motion, gaze)."""
    head_y: float = 0.0
    """Vertical head offset, -1..1 (breathing)."""
    viseme: str = ""
    """Current viseme label when the voice engine gives one."""
    gaze_x: float = 0.0
    """Where the eyes look, -1 (image left) .. 1 (image right); 0 is at the viewer."""
    gaze_y: float = 0.0
    """Where the eyes look, -1 up .. 1 down; 0 is at the viewer."""
    tilt: float = 0.0
    """Head roll, -1..1 of a small angle (idle motion); positive leans to the image right."""


@runtime_checkable
class AvatarRenderer(Protocol):
    """Draws the face for a pose onto a square surface."""

    size: int
    """Side of the square image in pixels."""

    def draw(self, pose: FacePose, t: float) -> pygame.Surface:
        """Return the frame for ``pose`` at ``t`` seconds (surface may be reused)."""
        ...


@runtime_checkable
class Display(Protocol):
    """Where frames go: a window, the fullscreen kiosk, nothing, or a video file."""

    def show(self, frame: pygame.Surface, t: float) -> None:
        """Present ``frame`` as the picture at ``t`` seconds."""
        ...

    def close(self) -> None:
        """Close the window or finish the file."""
        ...
