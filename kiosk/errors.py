"""Specific errors with a message a parent can act on; the CLI turns them into one line."""

from __future__ import annotations

__all__ = [
    "AudioDeviceLost",
    "AudioFormatError",
    "ConfigError",
    "DataDirError",
    "DisplayUnavailable",
    "KioskError",
    "ModelCorrupt",
    "ModelMissing",
    "PersonaError",
    "StoreError",
    "ToolMissing",
]


class KioskError(Exception):
    """Base of every error the kiosk reports to a person.

    ``hint`` says what to do about it; the CLI prints it after the message.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message


class ConfigError(KioskError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class DataDirError(KioskError):
    """The data directory cannot be created or written."""

    exit_code = 3


class ModelMissing(KioskError):
    """A model the configuration asks for is not installed."""

    exit_code = 4


class ModelCorrupt(KioskError):
    """A model file is damaged, truncated or of the wrong format."""

    exit_code = 4


class AudioFormatError(KioskError):
    """An audio file or stream is not in a format the kiosk can use."""

    exit_code = 5


class AudioDeviceLost(KioskError):
    """A microphone or speaker went away (unplugged) or cannot be opened."""

    exit_code = 5


class PersonaError(KioskError):
    """A persona file is missing or invalid."""

    exit_code = 2


class StoreError(KioskError):
    """The database cannot be opened or written."""

    exit_code = 3


class ToolMissing(KioskError):
    """A system program the kiosk needs (ffmpeg, espeak-ng) is not installed."""

    exit_code = 4


class DisplayUnavailable(KioskError):
    """No window can be opened (no display, or SDL cannot start)."""

    exit_code = 6
