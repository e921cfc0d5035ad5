"""The headless demo end to end: bundled questions → the whole loop → an MP4 that talks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

FPS = 10  # frames sampled from the video for the checks


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory, kiosk_env_vars: Callable[[Path], dict[str, str]]
) -> tuple[dict, Path]:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("demo")
    env = kiosk_env_vars(root)
    kiosk = [sys.executable, "-m", "kiosk"]
    subprocess.run([*kiosk, "models", "install-defaults"], env=env, check=True, timeout=300)
    out = root / "out"
    done = subprocess.run(
        [*kiosk, "demo", "--headless", "-o", str(out), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), root


def _probe(path: Path) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def _frames(path: Path, size: int) -> np.ndarray:
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-vf",
            f"fps={FPS}",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, size, size, 3)


def _loudness(wav: Path, starts: np.ndarray, window: float) -> np.ndarray:
    from kiosk.audio.wav import read_wav

    pcm, rate = read_wav(wav)
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768.0
    out = []
    for t in starts:
        seg = x[int(t * rate) : int((t + window) * rate)]
        out.append(float(np.sqrt(np.mean(seg**2))) if len(seg) else 0.0)
    return np.array(out)


def test_demo_answers_every_question_in_russian(demo_run: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    report, _ = demo_run
    answered = [t for t in report["turns"] if t["reply"]]
    assert len(answered) >= 4, report["turns"]
    assert any("Аня" in t["reply"] for t in answered)  # "как тебя зовут?"
    for turn in answered:
        assert any("а" <= ch.lower() <= "я" for ch in turn["reply"])
        timings = turn["timings_ms"]
        assert timings["stt"] > 0
        assert timings["first_sentence"] <= timings["first_audio"]


def test_demo_video_has_both_streams_of_the_right_length(demo_run: tuple[dict, Path]) -> None:  # type: ignore[type-arg]
    report, _ = demo_run
    video = Path(report["video"])
    assert video.is_file()
    info = _probe(video)
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert kinds["video"]["codec_name"] == "h264"
    assert (kinds["video"]["width"], kinds["video"]["height"]) == (512, 512)
    assert kinds["audio"]["codec_name"] == "aac"
    duration = report["duration_s"]
    assert abs(float(kinds["video"]["duration"]) - duration) < 0.3
    assert abs(float(kinds["audio"]["duration"]) - duration) < 0.3


def test_mouth_moves_while_aniya_speaks_and_rests_in_silence(
    demo_run: tuple[dict, Path],  # type: ignore[type-arg]
) -> None:
    report, _ = demo_run
    frames = _frames(Path(report["video"]), 512)
    times = np.arange(len(frames)) / FPS
    speech = [span for t in report["turns"] for span in (t.get("speech") or [])]
    assert speech, "the report lists when Аня spoke"

    def inside(t: float) -> bool:
        return any(start <= t < start + length for start, length in speech)

    speaking = np.array([inside(t) for t in times])
    # Where the mouth is: the pixels that differ between a closed and an open mouth.
    from kiosk.avatar import make_renderer
    from kiosk.avatar.base import FacePose
    from kiosk.config import load_settings
    from kiosk.events import State

    renderer = make_renderer(load_settings().avatar)
    closed = np.asarray(
        __import__("pygame").surfarray.array3d(
            renderer.draw(FacePose(mouth_open=0.0, state=State.SPEAKING), 0.0)
        )
    ).copy()
    opened = np.asarray(
        __import__("pygame").surfarray.array3d(
            renderer.draw(FacePose(mouth_open=1.0, state=State.SPEAKING), 0.0)
        )
    )
    diff = np.abs(opened.astype(int) - closed.astype(int)).sum(axis=2) > 40
    xs, ys = np.nonzero(diff)  # surfarray is (x, y)
    pad = 24  # room for idle head motion
    y0, y1 = max(0, ys.min() - pad), ys.max() + pad
    x0, x1 = max(0, xs.min() - pad), xs.max() + pad
    mouth = frames[:, y0:y1, x0:x1].astype(np.int16)

    # Frame-to-frame change inside the mouth box.
    motion = np.abs(np.diff(mouth, axis=0)).mean(axis=(1, 2, 3))
    moving = motion[speaking[1:] & speaking[:-1]]
    resting = motion[~speaking[1:] & ~speaking[:-1]]
    assert moving.size > 20 and resting.size > 20
    assert np.median(moving) > 3 * max(np.median(resting), 0.2)

    # And it opens with the sound: darkness of the mouth box follows loudness.
    darkness = (mouth.mean(axis=3) < 80).mean(axis=(1, 2))
    loud = _loudness(Path(report["audio"]), times, 1.0 / FPS)
    corr = np.corrcoef(darkness[speaking], loud[speaking])[0, 1]
    assert corr > 0.3, corr
