"""The espeak-ng engine: the always-available Russian voice (apt package espeak-ng).

Speech and phoneme timings come from libespeak-ng in-process when it loads
(visemes for the avatar); otherwise from the ``espeak-ng`` command (audio only,
the lip-sync track then follows the audio envelope).
"""

from __future__ import annotations

import logging
import shutil
import struct
import subprocess

from kiosk.errors import ModelMissing
from kiosk.events import LipSyncTrack
from kiosk.voice.base import Synthesis
from kiosk.voice.lipsync import track_from_audio, track_from_phonemes

__all__ = ["EMOTION_PROSODY", "EspeakSynthesizer", "parse_wav_bytes"]

_LOGGER = logging.getLogger(__name__)

ESPEAK_RATE = 22050
"""Samples per second espeak-ng produces."""

EMOTION_PROSODY: dict[str, tuple[int, float]] = {
    "happy": (8, 1.06),
    "excited": (12, 1.1),
    "surprised": (10, 1.0),
    "sad": (-8, 0.88),
    "calm": (-4, 0.93),
    "concern": (-3, 0.92),
    "sleepy": (-6, 0.85),
}
"""Emotion → (pitch change 0..99 scale, speed factor); others speak neutrally."""

_INSTALL_HINT = "установите синтезатор речи: sudo apt install espeak-ng"


def parse_wav_bytes(data: bytes) -> tuple[bytes, int]:
    """16-bit mono pcm and rate from a WAV in memory, tolerating espeak's streaming sizes.

    ``espeak-ng --stdout`` writes 0x7fffffff as the RIFF and data sizes, so the data
    chunk is taken as everything after its header.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV stream")
    offset, rate, channels, bits = 12, 0, 0, 0
    while offset + 8 <= len(data):
        chunk_id, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = offset + 8
        if chunk_id == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body)
        elif chunk_id == b"data":
            if channels != 1 or bits != 16:
                raise ValueError(f"expected 16-bit mono, got {bits}-bit x{channels}")
            pcm = data[body : body + min(size, len(data) - body)]
            return pcm[: len(pcm) // 2 * 2], rate
        offset = body + size + (size & 1)
    raise ValueError("WAV stream has no data chunk")


class EspeakSynthesizer:
    """Russian speech from espeak-ng (fast, robotic, always there)."""

    def __init__(
        self,
        voice: str = "ru+f3",
        rate_wpm: int = 165,
        pitch: int = 70,
        *,
        use_library: bool = True,
    ) -> None:
        self.voice = voice
        self.rate_wpm = rate_wpm
        self.pitch = pitch
        self.use_library = use_library
        """Prefer libespeak-ng in-process (phoneme timings) over the command."""
        self.name = f"espeak:{voice}"

    def prosody(self, emotion: str) -> tuple[int, int]:
        """(rate in words per minute, pitch 0..99) for ``emotion``."""
        pitch_shift, speed = EMOTION_PROSODY.get(emotion, (0, 1.0))
        rate = min(450, max(80, round(self.rate_wpm * speed)))
        return rate, min(99, max(0, self.pitch + pitch_shift))

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        """Speak already-normalised ``text``; empty text gives an empty Synthesis."""
        if not text.strip():
            return Synthesis(b"", ESPEAK_RATE, LipSyncTrack(rate=100.0, openness=()))
        rate, pitch = self.prosody(emotion)
        if self.use_library:
            from kiosk.voice.espeak_lib import load_library

            library = load_library()
            if library is not None:
                try:
                    speech = library.synthesize(text, self.voice, rate, pitch)
                except ValueError as exc:
                    raise self._no_voice() from exc
                duration = len(speech.pcm) / 2 / speech.sample_rate
                # Raw loudness: track_from_phonemes smooths once (twice would blur onsets).
                envelope = track_from_audio(speech.pcm, speech.sample_rate, smooth=False)
                track = track_from_phonemes(speech.phonemes, duration, envelope=envelope)
                return Synthesis(speech.pcm, speech.sample_rate, track)
        pcm, sample_rate = self._run_command(text, rate, pitch)
        return Synthesis(pcm, sample_rate, track_from_audio(pcm, sample_rate))

    def _no_voice(self) -> ModelMissing:
        return ModelMissing(
            f"В espeak-ng нет голоса «{self.voice}»",
            'укажите voice.voice = "ru+f3" (список: espeak-ng --voices=ru)',
        )

    def _run_command(self, text: str, rate: int, pitch: int) -> tuple[bytes, int]:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise ModelMissing("Синтезатор речи espeak-ng не установлен", _INSTALL_HINT)
        command = [binary, "-v", self.voice, "-s", str(rate), "-p", str(pitch)]
        # Text on stdin: a sentence starting with "-" must not be read as an option.
        command += ["-b", "1", "--stdin", "--stdout"]
        try:
            result = subprocess.run(
                command, input=text.encode("utf-8"), capture_output=True, timeout=60, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ModelMissing("espeak-ng не ответил за 60 с", _INSTALL_HINT) from exc
        stderr = result.stderr.decode("utf-8", "replace").strip()
        if result.returncode != 0:
            if "voice does not exist" in stderr.lower():
                raise self._no_voice()
            raise ModelMissing(f"espeak-ng завершился с ошибкой: {stderr}", _INSTALL_HINT)
        try:
            return parse_wav_bytes(result.stdout)
        except ValueError as exc:
            raise ModelMissing(f"espeak-ng выдал не WAV: {exc}", _INSTALL_HINT) from exc
