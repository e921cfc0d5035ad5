"""libespeak-ng through ctypes: speech samples plus phoneme events with their times.

The espeak-ng command line gives audio but no phoneme timings (``--pho`` needs
mbrola); the C library reports a PHONEME event with its audio position for every
phoneme. The library keeps global state, so every call holds one process-wide lock.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["EspeakLibrary", "LibrarySpeech", "load_library"]

_LOGGER = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_RATE = 1
_PITCH = 3


class _Event(ctypes.Structure):
    _fields_ = [  # noqa: RUF012 - ctypes layout of espeak_EVENT (speak_lib.h)
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True, slots=True, eq=False)
class LibrarySpeech:
    """What one synthesis call produced."""

    pcm: bytes
    """Signed 16-bit mono samples."""
    sample_rate: int
    """Samples per second (22 050 for espeak-ng)."""
    phonemes: tuple[tuple[float, str], ...]
    """(start seconds, espeak-ng phoneme mnemonic) for every phoneme spoken.

    Measured against the samples: a phoneme after silence sounds within 5 ms of its
    time; a stop (p, t, k…) is timed from its release, its closure silence falls
    at the end of the phoneme before.
    """


class EspeakLibrary:
    """One initialised libespeak-ng (per process; use ``load_library``)."""

    def __init__(self, lib: Any) -> None:
        self._lib = lib
        self._lock = threading.Lock()
        self._pcm = bytearray()
        self._phonemes: list[tuple[float, str]] = []
        self.sample_rate = int(
            lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS,
                0,
                None,
                _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT,
            )
        )
        if self.sample_rate <= 0:
            raise OSError("espeak_Initialize failed (espeak-ng-data not found?)")
        self._callback = _CALLBACK(self._on_synth)  # kept alive: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)

    def _on_synth(self, wav: Any, count: int, events: Any) -> int:
        if count > 0:
            self._pcm += ctypes.string_at(wav, count * 2)
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                name = event.id.split(b"\0", 1)[0].decode("ascii", "replace")
                self._phonemes.append((event.sample / self.sample_rate, name))
            i += 1
        return 0

    def synthesize(self, text: str, voice: str, rate_wpm: int, pitch: int) -> LibrarySpeech:
        """Speak ``text`` with ``voice``; raises ``ValueError`` for an unknown voice."""
        data = text.encode("utf-8") + b"\0"
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.encode("utf-8")) != 0:
                raise ValueError(f"espeak-ng has no voice {voice!r}")
            self._lib.espeak_SetParameter(_RATE, rate_wpm, 0)
            self._lib.espeak_SetParameter(_PITCH, pitch, 0)
            self._pcm, self._phonemes = bytearray(), []
            flags = _CHARS_UTF8 | _ENDPAUSE
            status = self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, flags, None, None
            )
            self._lib.espeak_Synchronize()
            if status != 0:
                raise OSError(f"espeak_Synth failed with status {status}")
            return LibrarySpeech(bytes(self._pcm), self.sample_rate, tuple(self._phonemes))


_LOADED: EspeakLibrary | None = None
_LOAD_LOCK = threading.Lock()
_FAILED = False


def load_library() -> EspeakLibrary | None:
    """The process's libespeak-ng, initialised once; None when it cannot be loaded."""
    global _LOADED, _FAILED
    with _LOAD_LOCK:
        if _LOADED is None and not _FAILED:
            name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
            try:
                _LOADED = EspeakLibrary(ctypes.CDLL(name))
            except OSError as exc:
                _FAILED = True
                _LOGGER.info("libespeak-ng unavailable (%s); using the espeak-ng command", exc)
        return _LOADED
