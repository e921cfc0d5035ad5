from __future__ import annotations

from pathlib import Path

import pygame

from kiosk.avatar.face import DrawnFace
from kiosk.avatar.preview import STATE_LABELS, save_state_sheet, state_pose, state_sheet
from kiosk.events import State


def test_state_poses_show_each_state_typically() -> None:
    assert state_pose(State.SLEEPING).eyes_open == 0.0
    assert state_pose(State.SPEAKING).mouth_open > 0.3
    assert all(state_pose(s).state is s for s in State)


def test_sheet_has_one_labelled_tile_per_state() -> None:
    sheet = state_sheet(DrawnFace(128))
    assert sheet.get_width() == 128 * len(STATE_LABELS) == 128 * len(State)
    assert sheet.get_height() > 128
    tiles = [
        pygame.image.tobytes(sheet.subsurface((i * 128, 0, 128, 128)), "RGB") for i in range(5)
    ]
    assert len(set(tiles)) == 5


def test_saved_sheet_is_a_small_png(tmp_path: Path) -> None:
    path = save_state_sheet(tmp_path / "docs" / "states.png", side=96)
    assert pygame.image.load(str(path)).get_width() == 96 * 5
    assert path.stat().st_size < 300_000
    assert [p.name for p in path.parent.iterdir()] == ["states.png"]
