"""Audio in and out: PortAudio devices, WAV files, the playback clock."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk.audio.base import AudioIn, AudioOut, PlaybackClock
from kiosk.config import AudioSettings, Settings
from kiosk.errors import AudioDeviceLost

__all__ = [
    "HEADLESS_RATE",
    "AudioIn",
    "AudioOut",
    "PlaybackClock",
    "list_devices",
    "make_audio_in",
    "make_audio_out",
]

_LOGGER = logging.getLogger(__name__)

HEADLESS_RATE = 22050
"""Rate of the virtual-clock speaker: espeak-ng's own rate, so speech is not resampled."""


def _audio(settings: Settings | AudioSettings) -> AudioSettings:
    return settings.audio if isinstance(settings, Settings) else settings


def make_audio_in(settings: Settings | AudioSettings, wav: Path | None = None) -> AudioIn:
    """The microphone, or ``wav`` played as one when given.

    Raises ``AudioDeviceLost`` when no file is given and no microphone can be opened.
    """
    audio = _audio(settings)
    if wav is not None:
        from kiosk.audio.wav import WavFileSource

        return WavFileSource(wav, sample_rate=audio.sample_rate, frame_ms=audio.frame_ms)
    from kiosk.audio.portaudio import PyAudioSource

    try:
        return PyAudioSource(
            audio.input_device, sample_rate=audio.sample_rate, frame_ms=audio.frame_ms
        )
    except AudioDeviceLost as exc:
        raise AudioDeviceLost(
            exc.message, exc.hint + "; без микрофона можно дать запись: --file ЗАПИСЬ.wav"
        ) from exc


def make_audio_out(settings: Settings | AudioSettings, headless: bool = False) -> AudioOut:
    """The speaker; a virtual-clock ``TimelineSpeaker`` when headless or none is found.

    Without a speaker the live kiosk still runs: the timeline's clock then follows
    wall time, so the avatar's mouth moves as if the audio played.
    """
    from kiosk.audio.wav import TimelineSpeaker

    if headless:
        return TimelineSpeaker(HEADLESS_RATE)
    audio = _audio(settings)
    from kiosk.audio.portaudio import PyAudioSpeaker

    try:
        return PyAudioSpeaker(audio.output_device, volume=audio.volume)
    except AudioDeviceLost as exc:
        _LOGGER.warning("no speaker (%s); playing on a silent wall-clock timeline", exc.message)
        return TimelineSpeaker(HEADLESS_RATE, realtime=True)


def list_devices() -> list[dict[str, Any]]:
    """PortAudio's devices for ``kiosk doctor``: index, name, channels, rate, defaults.

    Never raises: an empty list when PyAudio is missing or finds nothing.
    """
    from kiosk.audio.portaudio import _default_index, _devices, open_portaudio

    try:
        pa = open_portaudio()
    except (AudioDeviceLost, OSError) as exc:
        _LOGGER.info("no PortAudio: %s", exc)
        return []
    try:
        default_in = _default_index(pa, "input")
        default_out = _default_index(pa, "output")
        return [
            {
                "index": int(d["index"]),
                "name": str(d["name"]),
                "inputs": int(d["maxInputChannels"]),
                "outputs": int(d["maxOutputChannels"]),
                "default_rate": int(d["defaultSampleRate"]),
                "default_input": int(d["index"]) == default_in,
                "default_output": int(d["index"]) == default_out,
            }
            for d in _devices(pa)
        ]
    except OSError as exc:
        _LOGGER.info("PortAudio device query failed: %s", exc)
        return []
    finally:
        pa.terminate()
