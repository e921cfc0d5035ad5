"""Frame rate through the real display path: a pygame window under Xvfb, paced like the daemon."""

from __future__ import annotations

import shutil

import pytest

from kiosk.avatar.display import HeadlessDisplay
from kiosk.avatar.face import DrawnFace
from kiosk.bench import window
from kiosk.bench.window import measure_window, run_window_loop, speaking_animator


def test_frame_loop_holds_the_target_rate_when_drawing_is_cheap() -> None:
    display = HeadlessDisplay()
    result = run_window_loop(DrawnFace(128), display, speaking_animator(1.0, None), 20, 1.0)
    assert display.frames == result["frames"]
    assert 15 <= result["fps"] <= 21
    assert result["interval_ms"]["median"] == pytest.approx(50.0, abs=10.0)
    assert result["work_ms"]["median"] < result["interval_ms"]["median"]


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs xvfb (apt install xvfb)")
def test_window_under_xvfb_reaches_the_configured_rate() -> None:
    result = measure_window(256, 25, 1.0)
    assert result["available"], result
    assert result["server"] == "Xvfb" and result["driver"] == "x11"
    drawn = result["faces"]["drawn"]
    assert 15 <= drawn["fps"] <= 26
    assert drawn["frames"] >= 15
    assert drawn["work_ms"]["median"] > 0
    assert set(result["faces"]) == {"drawn"}


def test_without_xvfb_the_dummy_driver_is_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(window.shutil, "which", lambda _name: None)
    result = measure_window(128, 30, 0.5)
    assert result["available"], result
    assert result["server"] is None and result["driver"] == "dummy"
    assert result["faces"]["drawn"]["fps"] > 10


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs xvfb (apt install xvfb)")
def test_fullscreen_on_a_1080p_screen_letterboxes_the_face() -> None:
    result = measure_window(256, 25, 1.0, screen=(1920, 1080))
    assert result["available"], result
    assert result["driver"] == "x11" and result["screen"] == [1920, 1080]
    drawn = result["faces"]["drawn"]
    assert 10 <= drawn["fps"] <= 26
    # Scaling each frame up to 1080 px costs more than showing it at its own size.
    windowed = measure_window(256, 25, 1.0)["faces"]["drawn"]
    assert drawn["work_ms"]["median"] > windowed["work_ms"]["median"]


def test_without_xvfb_the_letterboxed_screen_is_a_window_of_its_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(window.shutil, "which", lambda _name: None)
    result = measure_window(128, 30, 0.5, screen=(1920, 1080))
    assert result["available"], result
    assert result["driver"] == "dummy" and result["screen"] == [1920, 1080]
    assert result["faces"]["drawn"]["work_ms"]["p95"] > 0
