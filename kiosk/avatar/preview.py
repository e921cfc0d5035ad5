"""Still pictures of the avatar: a typical pose per state and a labelled contact sheet.

Used for ``docs/avatar-states.png`` and by ``kiosk avatar preview``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.avatar.base import AvatarRenderer, FacePose
from kiosk.events import State

if TYPE_CHECKING:
    import pygame

__all__ = ["STATE_LABELS", "save_state_sheet", "state_pose", "state_sheet"]

STATE_LABELS: dict[State, str] = {
    State.SLEEPING: "спит",
    State.LISTENING: "слушает",
    State.THINKING: "думает",
    State.SPEAKING: "говорит",
    State.ERROR: "ошибка",
}
"""What each state is called on screen (Russian, for the parent)."""


def state_pose(state: State) -> FacePose:
    """A typical pose for ``state`` (eyes shut asleep, mouth open speaking…)."""
    match state:
        case State.SLEEPING:
            return FacePose(state=state, eyes_open=0.0, emotion="calm")
        case State.THINKING:
            return FacePose(state=state, emotion="thinking", gaze_x=0.8, gaze_y=-0.7)
        case State.SPEAKING:
            return FacePose(state=state, mouth_open=0.7, emotion="happy")
        case _:
            return FacePose(state=state)


def state_sheet(renderer: AvatarRenderer, t: float = 0.4) -> pygame.Surface:
    """Every state side by side, each labelled underneath."""
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    side = renderer.size
    label_h = max(18, side // 8)
    sheet = pygame.Surface((side * len(STATE_LABELS), side + label_h))
    sheet.fill((255, 255, 255))
    font = pygame.font.Font(None, round(label_h * 0.9))
    for i, (state, label) in enumerate(STATE_LABELS.items()):
        sheet.blit(renderer.draw(state_pose(state), t), (i * side, 0))
        text = font.render(label, True, (70, 60, 90))
        sheet.blit(text, text.get_rect(center=(i * side + side // 2, side + label_h // 2)))
    return sheet


def save_state_sheet(path: Path, side: int = 256) -> Path:
    """Draw the default face's contact sheet at ``side`` pixels per state into ``path`` (PNG)."""
    import pygame

    from kiosk.avatar.face import DrawnFace

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.png")
    pygame.image.save(state_sheet(DrawnFace(side)), str(tmp))
    tmp.replace(path)
    return path
