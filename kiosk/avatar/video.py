"""Avatar video files: frames (and a WAV) → H.264/AAC MP4 through ffmpeg, and probing.

The file appears only when complete: ffmpeg writes a temporary file next to the
target, renamed over it on success.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from kiosk.errors import KioskError, ToolMissing

if TYPE_CHECKING:
    import pygame

    from kiosk.avatar.animator import Animator
    from kiosk.avatar.base import AvatarRenderer
    from kiosk.events import LipSyncTrack

__all__ = ["VideoWriter", "probe_video", "render_speech_clip", "render_video"]

_LOGGER = logging.getLogger(__name__)

_FFMPEG_HINT = "установите ffmpeg: sudo apt install ffmpeg"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(
            f"{name} is not installed (needed to write the avatar video)", _FFMPEG_HINT
        )
    return found


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class VideoWriter:
    """Encodes square RGB frames at ``fps`` into an MP4, with ``audio_wav`` as AAC sound.

    The video is the master: audio is padded with silence or cut to the frames' length.
    """

    def __init__(self, path: Path, size: int, fps: int, audio_wav: Path | None = None) -> None:
        if fps <= 0 or size <= 0:
            raise ValueError(f"bad video geometry: size={size}, fps={fps}")
        if audio_wav is not None and not Path(audio_wav).is_file():
            raise FileNotFoundError(f"no audio file {audio_wav}")
        self.path = Path(path)
        self.size = size
        self.fps = fps
        self.frames = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.stem}.", suffix=".tmp.mp4", dir=self.path.parent
        )
        os.close(fd)
        self._tmp = Path(tmp)
        self._stderr: IO[bytes] = tempfile.TemporaryFile()
        cmd = [_tool("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y"]
        cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size}x{size}", "-r", str(fps)]
        cmd += ["-i", "pipe:0"]
        if audio_wav is not None:
            cmd += ["-i", str(audio_wav), "-map", "0:v:0", "-map", "1:a:0"]
            cmd += ["-af", "apad", "-c:a", "aac", "-b:a", "128k", "-shortest"]
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]
        cmd += ["-movflags", "+faststart", "-f", "mp4", str(self._tmp)]
        _LOGGER.debug("ffmpeg: %s", " ".join(cmd))
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._stderr)
        self._done = False

    def write(self, frame: pygame.Surface) -> None:
        """Append one frame (a ``size`` × ``size`` surface)."""
        import pygame

        if self._done:
            raise ValueError("the video is already closed")
        if frame.get_size() != (self.size, self.size):
            raise ValueError(f"frame is {frame.get_size()}, the video is {self.size}×{self.size}")
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(pygame.image.tobytes(frame, "RGB"))
        except BrokenPipeError:
            self._fail("ffmpeg stopped while writing frames")
        self.frames += 1

    def close(self) -> Path:
        """Finish the file; return its path. Raises ``KioskError`` with ffmpeg's last words."""
        if self._done:
            return self.path
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass
        code = self._proc.wait()
        if code != 0 or self.frames == 0:
            self._fail(f"ffmpeg failed (exit {code})" if self.frames else "no frames were written")
        self._done = True
        self._stderr.close()
        self._tmp.replace(self.path)
        _LOGGER.info("video %s: %d frames at %d fps", self.path, self.frames, self.fps)
        return self.path

    def abort(self) -> None:
        """Stop without leaving a file behind."""
        if self._done:
            return
        self._done = True
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._stderr.close()
        self._tmp.unlink(missing_ok=True)

    def _fail(self, message: str) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._stderr.seek(0)
        detail = _tail(self._stderr.read().decode("utf-8", "replace"))
        self.abort()
        raise KioskError(
            f"Cannot write the video {self.path}: {message}" + (f"\n{detail}" if detail else ""),
            "проверьте место на диске и что звук — файл WAV; ffmpeg -version должен работать",
        )

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def render_video(
    animator: Animator,
    renderer: AvatarRenderer,
    path: Path,
    duration: float,
    fps: int,
    audio_wav: Path | None = None,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Render ``duration`` seconds of the animator's face at ``fps`` into ``path`` (MP4).

    ``progress`` gets the fraction done (0..1) about once a second of video.
    """
    count = max(1, round(duration * fps))
    with VideoWriter(path, renderer.size, fps, audio_wav) as writer:
        for i in range(count):
            t = i / fps
            writer.write(renderer.draw(animator.pose_at(t), t))
            if progress is not None and (i % fps == 0 or i == count - 1):
                progress((i + 1) / count)
    return Path(path)


def render_speech_clip(
    renderer: AvatarRenderer,
    wav: Path,
    path: Path,
    fps: int,
    emotion: str = "neutral",
    track: LipSyncTrack | None = None,
    tail: float = 0.3,
) -> Path:
    """The face saying the whole of ``wav`` (its own silences included) into ``path`` (MP4).

    The mouth follows ``track`` (a lip-sync timeline from the voice engine, starting
    with the WAV's first sample) or, without one, the WAV's loudness. The kiosk
    listens until the first sound and speaks from then on; ``tail`` seconds of
    listening follow the end.
    """
    from kiosk.audio.wav import read_wav
    from kiosk.avatar.animator import Animator
    from kiosk.events import State
    from kiosk.voice import track_from_audio

    pcm, rate = read_wav(wav)
    if track is None:
        track = track_from_audio(pcm, rate)
    duration = len(pcm) / 2 / rate
    first = next((i for i, v in enumerate(track.openness) if v > 0), 0) / track.rate
    animator = Animator(seed=3)
    animator.set_state(State.LISTENING, at=0.0)
    animator.set_state(State.SPEAKING, at=max(0.0, first - 0.1))
    animator.set_state(State.LISTENING, at=duration)
    animator.add_speech(0.0, track, emotion)
    return render_video(animator, renderer, path, duration + tail, fps, audio_wav=Path(wav))


def probe_video(path: Path) -> dict[str, Any]:
    """What ffprobe says about a media file: duration and the first video/audio streams.

    Returns ``{"duration": s, "video": {"codec", "width", "height", "fps", "duration"} | None,
    "audio": {"codec", "sample_rate", "channels", "duration"} | None, "streams": [...]}``.
    """
    cmd = [
        _tool("ffprobe"),
        "-v",
        "error",
        "-show_format",
        "-show_streams",
        "-of",
        "json",
        str(path),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise KioskError(
            f"Cannot read the video {path}: {_tail(result.stderr)}", "файл повреждён или не видео"
        )
    info = json.loads(result.stdout)
    out: dict[str, Any] = {
        "duration": float(info.get("format", {}).get("duration", 0.0)),
        "video": None,
        "audio": None,
        "streams": [],
    }
    for stream in info.get("streams", []):
        kind = stream.get("codec_type")
        entry: dict[str, Any] = {
            "type": kind,
            "codec": stream.get("codec_name"),
            "duration": float(stream.get("duration", 0.0)),
        }
        if kind == "video":
            num, _, den = stream.get("avg_frame_rate", "0/1").partition("/")
            entry |= {
                "width": stream.get("width"),
                "height": stream.get("height"),
                "fps": float(num) / float(den or 1) if float(den or 1) else 0.0,
                "frames": int(stream.get("nb_frames", 0) or 0),
            }
        elif kind == "audio":
            entry |= {
                "sample_rate": int(stream.get("sample_rate", 0)),
                "channels": stream.get("channels"),
            }
        out["streams"].append(entry)
        if kind in ("video", "audio") and out[kind] is None:
            out[kind] = entry
    return out
