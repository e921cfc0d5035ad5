"""The guardian's consent to cloning a child's voice: asked first, recorded next to the voice."""

from __future__ import annotations

import json
import time
from pathlib import Path

from kiosk.paths import atomic_write_text

__all__ = ["CONSENT_TEXT", "has_consent", "record_consent"]

CONSENT_TEXT = (
    "Записи голоса будут использованы, чтобы Аня говорила похожим голосом. "
    "Записи и модель голоса хранятся только на этом устройстве и никуда не отправляются; "
    "их можно удалить командой kiosk data wipe. Подтвердите, что вы — родитель или "
    "законный представитель ребёнка, чей голос записан, и согласны на это."
)
"""What the guardian agrees to (shown before enrollment, stored with the consent)."""

_FILE = "consent.json"


def record_consent(voice_dir: Path, method: str) -> Path:
    """Write ``voice_dir/consent.json`` (when, how it was given, the text agreed to)."""
    path = voice_dir / _FILE
    record = {
        "given_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "method": method,
        "text": CONSENT_TEXT,
    }
    atomic_write_text(path, json.dumps(record, ensure_ascii=False, indent=2))
    return path


def has_consent(voice_dir: Path) -> bool:
    """True when consent for this voice has been recorded."""
    return (voice_dir / _FILE).is_file()
