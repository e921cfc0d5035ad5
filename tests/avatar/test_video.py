from __future__ import annotations

import math
import shutil
import struct
import wave
from pathlib import Path

import pygame
import pytest

from kiosk.avatar.animator import Animator
from kiosk.avatar.face import DrawnFace
from kiosk.avatar.video import VideoWriter, probe_video, render_video
from kiosk.errors import KioskError, ToolMissing
from kiosk.events import LipSyncTrack, State

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="needs ffmpeg (sudo apt install ffmpeg)",
)


def sine_wav(path: Path, seconds: float = 2.0, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", round(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                for i in range(round(seconds * rate))
            )
        )
    return path


def speaking_animator() -> Animator:
    animator = Animator(seed=1)
    animator.set_state(State.LISTENING, at=0.0)
    animator.set_state(State.SPEAKING, at=0.5)
    track = LipSyncTrack(rate=100.0, openness=tuple(abs(math.sin(i / 8)) for i in range(120)))
    animator.add_speech(0.5, track, emotion="happy")
    return animator


def test_render_video_writes_h264_with_aac_sound_of_the_right_length(tmp_path: Path) -> None:
    wav = sine_wav(tmp_path / "tone.wav", 2.0)
    seen: list[float] = []
    out = render_video(
        speaking_animator(),
        DrawnFace(512),
        tmp_path / "clip.mp4",
        2.0,
        25,
        wav,
        progress=seen.append,
    )
    info = probe_video(out)
    assert info["video"]["codec"] == "h264"
    assert (info["video"]["width"], info["video"]["height"]) == (512, 512)
    assert info["video"]["fps"] == pytest.approx(25.0)
    assert info["video"]["duration"] == pytest.approx(2.0, abs=0.1)
    assert info["audio"]["codec"] == "aac"
    assert info["audio"]["duration"] == pytest.approx(2.0, abs=0.1)
    assert info["duration"] == pytest.approx(2.0, abs=0.1)
    assert seen[-1] == pytest.approx(1.0)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_short_audio_is_padded_to_the_video_length(tmp_path: Path) -> None:
    wav = sine_wav(tmp_path / "short.wav", 0.5)
    out = render_video(speaking_animator(), DrawnFace(128), tmp_path / "v.mp4", 1.5, 20, wav)
    info = probe_video(out)
    assert info["audio"]["duration"] == pytest.approx(1.5, abs=0.1)
    assert info["video"]["duration"] == pytest.approx(1.5, abs=0.1)


def test_video_without_audio_has_only_a_video_stream(tmp_path: Path) -> None:
    face = DrawnFace(128)
    with VideoWriter(tmp_path / "silent.mp4", 128, 10) as writer:
        for i in range(10):
            writer.write(face.draw(speaking_animator().pose_at(i / 10), i / 10))
    info = probe_video(tmp_path / "silent.mp4")
    assert info["audio"] is None
    assert info["video"]["frames"] == 10


def test_wrong_frame_size_is_refused(tmp_path: Path) -> None:
    writer = VideoWriter(tmp_path / "x.mp4", 128, 10)
    with pytest.raises(ValueError, match="128"):
        writer.write(pygame.Surface((64, 64)))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_failed_encoding_leaves_no_file_and_reports_ffmpeg(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav at all")
    writer = VideoWriter(tmp_path / "out.mp4", 64, 10, audio_wav=bad)
    with pytest.raises(KioskError, match="ffmpeg"):
        for _ in range(50):
            writer.write(pygame.Surface((64, 64)))
        writer.close()
    assert not (tmp_path / "out.mp4").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.wav"]


def test_missing_ffmpeg_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing) as caught:
        VideoWriter(tmp_path / "v.mp4", 64, 10)
    assert "apt install ffmpeg" in caught.value.hint
