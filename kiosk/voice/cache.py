"""Synthesised speech kept for phrases said again (greetings, safety redirects, goodnight).

An in-memory LRU bounded in bytes holds every recent phrase; a disk folder holds
only the lines ``preload`` is given (lines known ahead, never the child's
conversation), written atomically, so they are ready right after a restart.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.events import LipSyncTrack
from kiosk.paths import atomic_write_bytes
from kiosk.voice.base import Synthesis, Synthesizer

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "MEMORY_BYTES",
    "CacheStats",
    "CachedSynthesizer",
    "decode_synthesis",
    "encode_synthesis",
    "synthesis_bytes",
    "uncached",
]

_LOGGER = logging.getLogger(__name__)

MEMORY_BYTES = 8 * 1024 * 1024
"""Default memory bound: about three minutes of 22 kHz speech (some forty sentences)."""

_MAGIC = b"KSYN1"
_SUFFIX = ".syn"


@dataclass(frozen=True, slots=True)
class CacheStats:
    """How the cache has served so far."""

    hits: int
    """Phrases answered from memory or disk without the engine."""
    misses: int
    """Phrases the engine had to speak."""
    entries: int
    """Phrases held in memory now."""
    bytes: int
    """Approximate bytes those phrases take."""


def synthesis_bytes(synthesis: Synthesis) -> int:
    """Approximate memory one Synthesis takes (audio, mouth track, viseme labels)."""
    track = synthesis.track
    return len(synthesis.pcm) + 8 * len(track.openness) + 64 * len(track.visemes) + 200


def encode_synthesis(synthesis: Synthesis) -> bytes:
    """One file's bytes: magic, JSON header (rate, track) and the raw pcm."""
    track = synthesis.track
    header = json.dumps(
        {
            "sample_rate": synthesis.sample_rate,
            "track_rate": track.rate,
            "openness": list(track.openness),
            "visemes": [list(v) for v in track.visemes],
        },
        separators=(",", ":"),
    ).encode("utf-8")
    return _MAGIC + struct.pack("<I", len(header)) + header + synthesis.pcm


def decode_synthesis(data: bytes) -> Synthesis:
    """The Synthesis ``encode_synthesis`` wrote; ValueError for anything else."""
    start = len(_MAGIC) + 4
    if len(data) < start or not data.startswith(_MAGIC):
        raise ValueError("not a cached synthesis")
    (size,) = struct.unpack_from("<I", data, len(_MAGIC))
    if start + size > len(data):
        raise ValueError("cached synthesis is truncated")
    header = json.loads(data[start : start + size].decode("utf-8"))
    track = LipSyncTrack(
        rate=float(header["track_rate"]),
        openness=tuple(float(v) for v in header["openness"]),
        visemes=tuple((float(t), str(label)) for t, label in header["visemes"]),
    )
    return Synthesis(data[start + size :], int(header["sample_rate"]), track)


def _normalised(text: str) -> str:
    # Whitespace and Unicode form do not change the audio; case may (abbreviations).
    return " ".join(unicodedata.normalize("NFC", text).split())


class CachedSynthesizer:
    """A synthesizer that answers phrases it has already spoken without the engine.

    Keyed on the normalised text, the emotion and ``identity`` (engine, voice,
    rate, pitch, model files): anything that changes the audio. Thread-safe; two
    threads missing the same phrase at once both synthesise it.
    """

    def __init__(
        self,
        engine: Synthesizer,
        identity: str,
        *,
        max_bytes: int = MEMORY_BYTES,
        disk_dir: Path | None = None,
    ) -> None:
        self.engine = engine
        """The wrapped synthesizer (``uncached`` returns it)."""
        self.identity = identity
        self.max_bytes = max_bytes
        """Memory bound in bytes; a phrase larger than this is not kept."""
        self.disk_dir = disk_dir
        """Folder of preloaded lines; None keeps nothing on disk."""
        self.name = engine.name
        self._entries: OrderedDict[str, tuple[Synthesis, int]] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def key(self, text: str, emotion: str = "neutral") -> str:
        """The cache key of ``text`` said with ``emotion`` by this engine and voice."""
        material = "\x1f".join((self.identity, emotion, _normalised(text)))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        """Speak already-normalised ``text``: from memory, disk, or the engine."""
        key = self.key(text, emotion)
        cached = self._recall(key)
        if cached is None:
            cached = self._read_disk(key)
            if cached is not None:
                self._remember(key, cached)
        with self._lock:
            if cached is not None:
                self._hits += 1
                return cached
            self._misses += 1
        synthesis = self.engine.synthesize(text, emotion)
        if synthesis.pcm:
            self._remember(key, synthesis)
        return synthesis

    def preload(self, lines: Iterable[tuple[str, str]]) -> int:
        """Put each (sentence, emotion) on disk and in memory; returns how many were synthesised.

        For lines known ahead (greeting, safety redirects, goodnight), one sentence
        each as the pipeline speaks them, raw text (normalised here as ``speak``
        does). Blocking: run it once after start-up in a worker thread. Without
        ``disk_dir`` it only fills memory.
        """
        from kiosk.voice.normalize import normalize_for_speech

        spoken = 0
        for raw, emotion in lines:
            text = normalize_for_speech(raw)
            if not any(ch.isalnum() for ch in text):
                continue
            key = self.key(text, emotion)
            synthesis = self._read_disk(key)
            if synthesis is not None:
                self._remember(key, synthesis)
                continue
            synthesis = self._recall(key)
            if synthesis is None:
                synthesis = self.engine.synthesize(text, emotion)
                spoken += 1
                if not synthesis.pcm:
                    continue
                self._remember(key, synthesis)
            self._write_disk(key, synthesis)
        return spoken

    def stats(self) -> CacheStats:
        """Hits, misses and what memory holds now."""
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries), self._bytes)

    def _recall(self, key: str) -> Synthesis | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def _remember(self, key: str, synthesis: Synthesis) -> None:
        size = synthesis_bytes(synthesis)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (synthesis, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def _path(self, key: str) -> Path | None:
        return None if self.disk_dir is None else self.disk_dir / f"{key}{_SUFFIX}"

    def _write_disk(self, key: str, synthesis: Synthesis) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            atomic_write_bytes(path, encode_synthesis(synthesis))
        except OSError as exc:
            _LOGGER.warning("cannot keep speech in %s: %s", path.parent, exc)

    def _read_disk(self, key: str) -> Synthesis | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            return decode_synthesis(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _LOGGER.warning("cached speech %s unreadable, speaking afresh: %s", path.name, exc)
            return None


def uncached(synthesizer: Synthesizer) -> Synthesizer:
    """The engine behind a ``CachedSynthesizer`` (for timings); others as they are."""
    return synthesizer.engine if isinstance(synthesizer, CachedSynthesizer) else synthesizer
