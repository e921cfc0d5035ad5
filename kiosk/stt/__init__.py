"""Speech to text: one Transcriber protocol, an engine per file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import ConfigError, ModelMissing
from kiosk.stt.base import Transcriber

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.paths import Paths

__all__ = ["Transcriber", "make_transcriber"]

_INSTALL_HINT = "./install.sh или kiosk models install-defaults"


def _model_dir(paths: Paths, name: str) -> Path:
    """The folder of the STT model ``name``: a path as given, or a name from the store."""
    given = Path(name).expanduser()
    if given.is_dir():
        return given
    try:
        from kiosk.models import find_model
    except ImportError:
        raise ModelMissing(f"Модель распознавания речи {name} не найдена", _INSTALL_HINT) from None
    found = find_model(paths, name, "stt").path
    # A store entry may name the model's main file; the engines want its folder.
    return found if found.is_dir() else found.parent


def _vosk_model_name(settings: Settings) -> str:
    """``stt.vosk_model`` (``stt.model`` names the whisper model)."""
    return settings.stt.vosk_model


def make_transcriber(settings: Settings, paths: Paths) -> Transcriber:
    """The speech recogniser chosen by ``settings.stt`` (loads the model: seconds)."""
    if settings.stt.engine == "vosk":
        from kiosk.stt.vosk import VoskTranscriber

        return VoskTranscriber(
            _model_dir(paths, _vosk_model_name(settings)),
            sample_rate=settings.audio.sample_rate,
            language=settings.general.language,
        )
    if settings.stt.engine != "whisper":
        raise ConfigError(
            f"Движок распознавания речи {settings.stt.engine} пока не поддерживается",
            'укажите stt.engine = "whisper" или "vosk" в настройках',
        )
    from kiosk.stt.whisper import WhisperTranscriber

    stt = settings.stt
    return WhisperTranscriber(
        _model_dir(paths, stt.model),
        device=stt.device,
        compute_type=stt.compute_type,
        beam_size=stt.beam_size,
        cpu_threads=stt.cpu_threads,
        hotwords=stt.hotwords,
        language=settings.general.language,
    )
