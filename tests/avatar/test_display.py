from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from kiosk.avatar.base import Display, FacePose
from kiosk.avatar.display import HeadlessDisplay, KeyEvent, PygameDisplay, fit_square, make_display
from kiosk.avatar.face import DrawnFace
from kiosk.config import AvatarSettings
from kiosk.events import State


@pytest.mark.parametrize(
    ("screen", "expected"),
    [
        ((1920, 1080), (420, 0, 1080, 1080)),
        ((1080, 1920), (0, 420, 1080, 1080)),
        ((512, 512), (0, 0, 512, 512)),
        ((1280, 1024), (128, 0, 1024, 1024)),
        ((801, 600), (100, 0, 600, 600)),
    ],
)
def test_fit_square_centres_the_largest_square(
    screen: tuple[int, int], expected: tuple[int, int, int, int]
) -> None:
    assert fit_square(*screen) == expected


def test_pygame_window_opens_shows_and_closes() -> None:
    face = DrawnFace(256)
    display = PygameDisplay(256, title="Аня")
    try:
        assert isinstance(display, Display)
        frame = face.draw(FacePose(state=State.LISTENING), 0.0)
        display.show(frame, 0.0)
        shown = pygame.display.get_surface()
        assert shown.get_size() == (256, 256)
        assert shown.get_at((128, 200)) == frame.get_at((128, 200))
        assert not display.closed
    finally:
        display.close()
    assert display.closed


def test_escape_and_space_reach_the_display() -> None:
    display = PygameDisplay(128)
    try:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE))
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_SPACE))
        assert display.poll_keys() == [KeyEvent("space", True), KeyEvent("space", False)]
        assert display.poll_keys() == []
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE))
        display.show(pygame.Surface((128, 128)), 0.0)
        assert display.closed
    finally:
        display.close()


def test_window_close_button_closes_the_display() -> None:
    display = PygameDisplay(128)
    try:
        pygame.event.post(pygame.event.Event(pygame.QUIT))
        display.show(pygame.Surface((128, 128)), 0.0)
        assert display.closed
    finally:
        display.close()


def test_smaller_frames_are_scaled_to_fill_the_window() -> None:
    display = PygameDisplay(200)
    try:
        frame = pygame.Surface((100, 100))
        frame.fill((10, 200, 30))
        display.show(frame, 0.0)
        assert pygame.display.get_surface().get_at((199, 199))[:3] == (10, 200, 30)
    finally:
        display.close()


def test_headless_display_keeps_the_last_frame_as_png(tmp_path: Path) -> None:
    face = DrawnFace(128)
    display = HeadlessDisplay()
    with pytest.raises(ValueError):
        display.save_png(tmp_path / "none.png")
    display.show(face.draw(FacePose(state=State.SLEEPING), 1.0), 1.0)
    kept = face.draw(FacePose(state=State.SPEAKING, mouth_open=1.0), 2.0)
    display.show(kept, 2.0)
    expected = kept.copy()
    face.draw(FacePose(state=State.ERROR), 3.0)  # the renderer reuses its surface
    path = display.save_png(tmp_path / "shots" / "last.png")
    loaded = pygame.image.load(str(path))
    assert (display.frames, display.last_t) == (2, 2.0)
    assert loaded.get_size() == (128, 128)
    assert loaded.get_at((64, 90)) == expected.get_at((64, 90))
    assert sorted(p.name for p in path.parent.iterdir()) == ["last.png"]


def test_make_display_picks_headless_or_window() -> None:
    assert isinstance(make_display(AvatarSettings(), headless=True), HeadlessDisplay)
    window = make_display(AvatarSettings(size=128), headless=False)
    try:
        assert isinstance(window, PygameDisplay)
    finally:
        window.close()
