"""Voice enrollment: recordings → normalised, trimmed, transcribed utterances + a quality report."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kiosk.errors import ConfigError
from kiosk.voice.enroll.consent import CONSENT_TEXT, has_consent, record_consent
from kiosk.voice.enroll.dataset import EnrollOptions, Progress, enroll_folder
from kiosk.voice.enroll.report import Clip, EnrollmentReport, Rejection, summary_ru

if TYPE_CHECKING:
    from pathlib import Path

    from kiosk.paths import Paths

__all__ = [
    "CONSENT_TEXT",
    "Clip",
    "EnrollOptions",
    "EnrollmentReport",
    "Progress",
    "Rejection",
    "enroll_folder",
    "has_consent",
    "record_consent",
    "summary_ru",
    "voice_dir",
]

_NAME = re.compile(r"[A-Za-z0-9А-Яа-яЁё_-]{1,40}")
_RESERVED = frozenset({"speakers"})


def voice_dir(paths: Paths, name: str) -> Path:
    """The folder of the voice ``name`` under ``paths.voices_dir`` (name checked)."""
    if not _NAME.fullmatch(name) or name in _RESERVED:
        raise ConfigError(
            f"Недопустимое имя голоса: «{name}»",
            "имя из букв, цифр, _ и - (до 40 знаков), например --name anya"
            + ("; имя speakers занято профилями говорящих" if name in _RESERVED else ""),
        )
    return paths.voices_dir / name
