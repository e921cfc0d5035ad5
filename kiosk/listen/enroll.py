"""Enrolled voices: the child's and the parents', one mean embedding each, kept on disk.

A folder (``<data_dir>/voices/speakers`` by default) holds two files per voice,
``<role>-<name>.npy`` (the 256-d embedding) and ``<role>-<name>.json`` (who,
when, how much audio). Both are written atomically, the embedding first, so a
crash leaves either the old voice or the new one; a voice whose files do not
agree is skipped with a warning, never fatal.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from kiosk.errors import AudioFormatError
from kiosk.listen.speaker import VoiceEncoder, cosine
from kiosk.paths import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from kiosk.paths import Paths

__all__ = ["EnrolledRole", "SpeakerProfile", "SpeakerProfiles", "default_profiles_dir"]

_LOGGER = logging.getLogger(__name__)

EnrolledRole = Literal["child", "parent"]
_ROLES: tuple[EnrolledRole, ...] = ("child", "parent")
_UNSAFE = re.compile(r"[^\w-]+")
_FORMAT = 1


def default_profiles_dir(paths: Paths) -> Path:
    """Where enrolled voices live: ``<data_dir>/voices/speakers``."""
    return paths.voices_dir / "speakers"


def _file_stem(role: str, name: str) -> str:
    slug = _UNSAFE.sub("_", name.strip().lower()).strip("_") or "voice"
    return f"{role}-{slug}"


@dataclass(frozen=True, slots=True)
class SpeakerProfile:
    """One enrolled voice."""

    role: EnrolledRole
    """``child`` or ``parent``."""
    name: str
    """How the kiosk calls this person ("Маша", "мама")."""
    embedding: np.ndarray[Any, Any]
    """Unit-length mean voice embedding (256 floats)."""
    utterances: int
    """How many phrases it was made from."""
    seconds: float
    """Total seconds of enrolment audio."""
    consistency: float
    """Lowest cosine similarity of one enrolment phrase to the mean (low: a phrase was noisy)."""
    enrolled_at: float
    """Unix time of the enrolment."""


class SpeakerProfiles:
    """The enrolled voices in one folder: enrol, load, remove."""

    def __init__(self, folder: Path, encoder: VoiceEncoder | None = None) -> None:
        """Keep voices in ``folder`` (created on first enrolment).

        ``encoder`` is loaded on first use when not given (torch; see
        ``kiosk.listen.speaker``); listing and removing voices never need it.
        """
        self.folder = Path(folder)
        self._encoder = encoder

    @property
    def encoder(self) -> VoiceEncoder:
        """The voice encoder (loaded on first use)."""
        if self._encoder is None:
            self._encoder = VoiceEncoder()
        return self._encoder

    def enroll(
        self,
        role: EnrolledRole,
        name: str,
        utterances: Sequence[bytes],
        sample_rate: int = 16000,
    ) -> SpeakerProfile:
        """Make (or replace) the voice of ``name`` from a few phrases of 16-bit mono pcm.

        Three phrases of 2–4 s each are enough. Raises ``ValueError`` for a bad
        role or name and ``AudioFormatError`` when there is no usable phrase.
        """
        if role not in _ROLES:
            raise ValueError(f"role must be child or parent, got {role!r}")
        name = name.strip()
        if not name:
            raise ValueError("a speaker needs a name")
        if not utterances:
            raise AudioFormatError(
                "Нет записей голоса для запоминания", "запишите три-четыре фразы по 2–4 секунды"
            )
        embeddings = [self.encoder.embed(pcm, sample_rate) for pcm in utterances]
        mean = np.mean(embeddings, axis=0)
        mean = (mean / np.linalg.norm(mean)).astype(np.float32)
        profile = SpeakerProfile(
            role=role,
            name=name,
            embedding=mean,
            utterances=len(embeddings),
            seconds=round(sum(len(p) // 2 for p in utterances) / sample_rate, 2),
            consistency=round(min(cosine(e, mean) for e in embeddings), 4),
            enrolled_at=time.time(),
        )
        self._save(profile)
        _LOGGER.info(
            "enrolled %s %s from %d phrases (consistency %.3f)",
            role,
            name,
            profile.utterances,
            profile.consistency,
        )
        return profile

    def load(self) -> list[SpeakerProfile]:
        """Every enrolled voice, sorted by role and name; damaged entries are skipped."""
        if not self.folder.is_dir():
            return []
        profiles = []
        for meta_path in sorted(self.folder.glob("*.json")):
            try:
                profiles.append(self._read(meta_path))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                _LOGGER.warning("skipping enrolled voice %s: %s", meta_path.name, exc)
        return sorted(profiles, key=lambda p: (p.role, p.name))

    def remove(self, role: EnrolledRole, name: str) -> bool:
        """Forget the voice of ``name``; False when there was none."""
        stem = _file_stem(role, name)
        meta, data = self.folder / f"{stem}.json", self.folder / f"{stem}.npy"
        existed = meta.exists()
        # The description goes first: without it the embedding is never loaded.
        meta.unlink(missing_ok=True)
        data.unlink(missing_ok=True)
        if existed:
            _LOGGER.info("removed enrolled voice %s %s", role, name)
        return existed

    def _save(self, profile: SpeakerProfile) -> None:
        stem = _file_stem(profile.role, profile.name)
        buffer = io.BytesIO()
        np.save(buffer, profile.embedding, allow_pickle=False)
        data = buffer.getvalue()
        atomic_write_bytes(self.folder / f"{stem}.npy", data)
        meta = {
            "format": _FORMAT,
            "role": profile.role,
            "name": profile.name,
            "encoder": self.encoder.name,
            "utterances": profile.utterances,
            "seconds": profile.seconds,
            "consistency": profile.consistency,
            "enrolled_at": profile.enrolled_at,
            "npy_bytes": len(data),
        }
        atomic_write_text(
            self.folder / f"{stem}.json", json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
        )

    def _read(self, meta_path: Path) -> SpeakerProfile:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("role") not in _ROLES:
            raise ValueError(f"unknown role {meta.get('role')!r}")
        data = meta_path.with_suffix(".npy").read_bytes()
        if len(data) != meta["npy_bytes"]:
            raise ValueError("the embedding file does not match its description")
        embedding = np.load(io.BytesIO(data), allow_pickle=False)
        if embedding.ndim != 1 or not np.isfinite(embedding).all():
            raise ValueError(f"bad embedding of shape {embedding.shape}")
        return SpeakerProfile(
            role=meta["role"],
            name=str(meta["name"]),
            embedding=embedding.astype(np.float32),
            utterances=int(meta["utterances"]),
            seconds=float(meta["seconds"]),
            consistency=float(meta["consistency"]),
            enrolled_at=float(meta["enrolled_at"]),
        )
