"""Frame rate through the real display path: ``PygameDisplay`` in a window, paced like the daemon.

``measure_window`` starts a private ``Xvfb`` server when one is installed (apt xvfb),
else uses SDL's dummy video driver, and runs this module in a child process (SDL
wants a fresh main thread and its own environment). The child draws each face into
a real ``PygameDisplay`` window with the daemon's loop — draw, show, sleep to the
next ``1 / avatar.fps`` — and prints what it achieved as JSON. Unlike the
offscreen figure this includes ``display.flip()`` and the X server's copy.
"""

from __future__ import annotations

import json
import logging
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.bench.measure import summarise

if TYPE_CHECKING:
    from kiosk.avatar.animator import Animator
    from kiosk.events import LipSyncTrack

__all__ = ["measure_window", "run_window_loop", "speaking_animator"]

_LOGGER = logging.getLogger(__name__)

XVFB_START_S = 10.0
"""Seconds to wait for Xvfb to report its display number."""


def _start_xvfb(width: int, height: int) -> tuple[subprocess.Popen[bytes], str] | None:
    """A private Xvfb server and its ``DISPLAY``; None when Xvfb is missing or fails."""
    binary = shutil.which("Xvfb")
    if binary is None:
        return None
    read_fd, write_fd = os.pipe()
    screen = f"{width}x{height}x24"
    command = [binary, "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"]
    try:
        proc = subprocess.Popen(
            command, pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except OSError as exc:
        _LOGGER.warning("Xvfb did not start: %s", exc)
        os.close(read_fd)
        os.close(write_fd)
        return None
    os.close(write_fd)
    # Xvfb writes the number and the newline separately and dies if the pipe closes
    # between the two: read up to the newline.
    got = b""
    deadline = time.monotonic() + XVFB_START_S
    try:
        while not got.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 64) if ready else b""
            if not chunk:
                break
            got += chunk
    finally:
        os.close(read_fd)
    number = got.decode().strip()
    if not number.isdigit() or not _accepts_clients(int(number)):
        _LOGGER.warning("Xvfb did not become ready; dummy SDL driver instead")
        proc.kill()
        proc.wait()
        return None
    return proc, f":{number}"


def _accepts_clients(number: int) -> bool:
    """Wait until the server's socket takes connections (it reports its number earlier)."""
    import socket

    path = f"/tmp/.X11-unix/X{number}"
    deadline = time.monotonic() + XVFB_START_S
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(path)
                return True
            except OSError:
                time.sleep(0.05)
    return False


def measure_window(
    size: int,
    fps: int,
    seconds: float,
    photo_folder: Path | None = None,
    track: LipSyncTrack | None = None,
    screen: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Show the drawn face (and the photo face) in a real window for ``seconds`` each.

    ``screen`` (width, height): the kiosk's fullscreen display instead of a
    ``size``-pixel window; frames drawn at ``size`` are scaled into its centred square
    with black bars (``PygameDisplay`` fullscreen on an Xvfb screen of that size; with
    the dummy driver, a window of that size showing frames the same way).

    Returns ``{"available": True, "server", "driver", "target_fps", "seconds", "size",
    "screen", "faces": {name: {"fps", "frames", "interval_ms", "work_ms",
    "late_frames"}}}`` or ``{"available": False, "reason"}`` when the child fails.
    """
    width, height = screen if screen is not None else (max(1024, size), max(768, size))
    xvfb = _start_xvfb(width, height)
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    if xvfb is not None:
        env.update(SDL_VIDEODRIVER="x11", DISPLAY=xvfb[1])
    else:
        env["SDL_VIDEODRIVER"] = "dummy"
    faces: dict[str, str | None] = {"drawn": None}
    if photo_folder is not None:
        faces["photo"] = str(photo_folder)
    spec = {
        "size": size,
        "fps": fps,
        "seconds": seconds,
        "faces": faces,
        "track": [track.rate, list(track.openness)] if track is not None else None,
        "screen": list(screen) if screen is not None else None,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kiosk.bench.window"],
            input=json.dumps(spec),
            env=env,
            capture_output=True,
            text=True,
            timeout=60 + seconds * len(faces) * 3,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"available": False, "reason": "окно аватара не ответило вовремя"}
    finally:
        if xvfb is not None:
            xvfb[0].terminate()
            xvfb[0].wait(timeout=10)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["нет вывода"]
        return {"available": False, "reason": f"окно аватара не открылось: {tail[0]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return {"available": True, "server": "Xvfb" if xvfb else None, **result}


def speaking_animator(seconds: float, track: Sequence[Any] | None) -> Animator:
    """An animator speaking ``track`` (``(rate, openness)``) over and over for ``seconds``."""
    from kiosk.avatar.animator import Animator
    from kiosk.events import LipSyncTrack, State

    if track is None:  # syllables at ~4 Hz when no real track was given
        openness = tuple(abs(((i % 25) - 12) / 12.0) for i in range(400))
        lip = LipSyncTrack(rate=100.0, openness=openness)
    else:
        lip = LipSyncTrack(rate=float(track[0]), openness=tuple(track[1]))
    animator = Animator(seed=5)
    animator.set_state(State.SPEAKING, at=0.0)
    at = 0.0
    while at < seconds + 1.0 and lip.duration > 0:
        animator.add_speech(at, lip)
        at += lip.duration + 0.2
    return animator


def run_window_loop(
    renderer: Any, display: Any, animator: Any, fps: int, seconds: float
) -> dict[str, Any]:
    """The daemon's frame loop for ``seconds``; what it achieved.

    Like ``kiosk run``: each frame draws the pose at the clock, shows it, then
    sleeps the rest of ``1 / fps``. ``fps`` achieved is frames over the time between
    the first and last frame shown; ``work_ms`` is draw + show per frame.
    """
    frame_time = 1.0 / fps
    shown: list[float] = []
    work: list[float] = []
    began = time.perf_counter()
    while time.perf_counter() - began < seconds and not getattr(display, "closed", False):
        started = time.perf_counter()
        t = started - began
        display.show(renderer.draw(animator.pose_at(t), t), t)
        done = time.perf_counter()
        shown.append(done)
        work.append((done - started) * 1000.0)
        time.sleep(max(0.0, frame_time - (done - started)))
    intervals = [(b - a) * 1000.0 for a, b in zip(shown, shown[1:], strict=False)]
    span = shown[-1] - shown[0] if len(shown) > 1 else 0.0
    return {
        "fps": round((len(shown) - 1) / span, 1) if span > 0 else None,
        "frames": len(shown),
        "interval_ms": summarise(intervals),
        "work_ms": summarise(work),
        "late_frames": sum(v > 1.5 * frame_time * 1000.0 for v in intervals),
    }


def _child() -> None:
    """Entry point of the child process: spec as JSON on stdin, result as JSON on stdout."""
    import pygame

    from kiosk.avatar.display import PygameDisplay
    from kiosk.avatar.face import DrawnFace

    spec = json.loads(sys.stdin.read())
    size, fps, seconds = int(spec["size"]), int(spec["fps"]), float(spec["seconds"])
    screen = spec.get("screen")
    x11 = os.environ.get("SDL_VIDEODRIVER") == "x11"
    display = PygameDisplay(size, fullscreen=bool(screen) and x11, title="kiosk bench")
    if screen and not x11:
        # SDL's dummy desktop is 1024×768 whatever is asked: a window the screen's size
        # takes the same letterboxing path in ``show``.
        display._screen = pygame.display.set_mode(tuple(screen))
    results: dict[str, Any] = {}
    try:
        for name, folder in spec["faces"].items():
            if folder is None:
                renderer: Any = DrawnFace(size)
            else:
                from kiosk.avatar.photo.renderer import PhotoFace

                renderer = PhotoFace(Path(folder), size)
            animator = speaking_animator(seconds, spec.get("track"))
            results[name] = run_window_loop(renderer, display, animator, fps, seconds)
        driver = pygame.display.get_driver()
        shown = list(pygame.display.get_surface().get_size())
    finally:
        display.close()
    out = {
        "driver": driver,
        "target_fps": fps,
        "seconds": seconds,
        "size": size,
        "screen": shown,
        "faces": results,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    _child()
