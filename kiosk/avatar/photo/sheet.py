"""Contact sheet of a photo avatar: states, emotions, mouth openness and blinks, labelled."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.avatar.base import AvatarRenderer, FacePose
from kiosk.avatar.preview import STATE_LABELS, state_pose
from kiosk.events import State

if TYPE_CHECKING:
    import pygame

__all__ = ["SHEET_ROWS", "photo_sheet", "save_photo_sheet"]

_TALK = State.SPEAKING
SHEET_ROWS: list[list[tuple[str, FacePose]]] = [
    [(label, state_pose(state)) for state, label in STATE_LABELS.items()],
    [
        ("рот 0", FacePose(state=_TALK, mouth_open=0.0)),
        ("рот 0.25", FacePose(state=_TALK, mouth_open=0.25)),
        ("рот 0.5", FacePose(state=_TALK, mouth_open=0.5)),
        ("рот 0.75", FacePose(state=_TALK, mouth_open=0.75)),
        ("рот 1", FacePose(state=_TALK, mouth_open=1.0)),
    ],
    [
        ("радость", FacePose(state=_TALK, emotion="happy", mouth_open=0.3)),
        ("грусть", FacePose(state=_TALK, emotion="sad")),
        ("удивление", FacePose(state=_TALK, emotion="surprised", mouth_open=0.45)),
        ("моргание", FacePose(state=State.LISTENING, eyes_open=0.0)),
        ("полуприкрыты", FacePose(state=State.LISTENING, eyes_open=0.5)),
    ],
]
"""Rows of (label, pose) the sheet shows."""


def photo_sheet(renderer: AvatarRenderer, t: float = 0.4) -> pygame.Surface:
    """Every pose of ``SHEET_ROWS`` drawn by ``renderer``, labelled underneath."""
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    side = renderer.size
    label_h = max(18, side // 9)
    cols = max(len(row) for row in SHEET_ROWS)
    sheet = pygame.Surface((side * cols, (side + label_h) * len(SHEET_ROWS)))
    sheet.fill((255, 255, 255))
    font = pygame.font.Font(None, round(label_h * 0.9))
    for r, row in enumerate(SHEET_ROWS):
        y = r * (side + label_h)
        for c, (label, pose) in enumerate(row):
            sheet.blit(renderer.draw(pose, t), (c * side, y))
            text = font.render(label, True, (70, 60, 90))
            sheet.blit(text, text.get_rect(center=(c * side + side // 2, y + side + label_h // 2)))
    return sheet


def save_photo_sheet(renderer: AvatarRenderer, path: Path) -> Path:
    """Write ``photo_sheet(renderer)`` to ``path`` (PNG) atomically."""
    import pygame

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.png")
    pygame.image.save(photo_sheet(renderer), str(tmp))
    tmp.replace(path)
    return path
