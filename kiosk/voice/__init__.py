"""The voice: Russian text normalisation, synthesizers and lip-sync timelines."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk.config import VoiceSettings
from kiosk.errors import ConfigError
from kiosk.voice.base import Synthesis, Synthesizer
from kiosk.voice.lipsync import track_from_audio, track_from_phonemes
from kiosk.voice.normalize import normalize_for_speech

if TYPE_CHECKING:
    from kiosk.paths import Paths

__all__ = [
    "Synthesis",
    "Synthesizer",
    "make_synthesizer",
    "normalize_for_speech",
    "speak",
    "track_from_audio",
    "track_from_phonemes",
]

_LOGGER = logging.getLogger(__name__)

_FESTIVAL_DEFAULT = "msu_ru_nsh_clunits"


def make_synthesizer(settings: VoiceSettings, paths: Paths | None = None) -> Synthesizer:
    """The engine ``settings.engine`` names, with its voice, speed and pitch.

    ``paths`` locates imported models (piper, coqui) and trained voices
    (``voice.checkpoint``); without it a piper voice must be given as a path to
    its ``.onnx`` file and a trained voice as a path to its ``.pt`` file.
    """
    if settings.engine == "piper":
        from kiosk.voice.piper import PiperSynthesizer, resolve_piper_model

        return PiperSynthesizer(resolve_piper_model(paths, settings.voice))
    if settings.engine == "coqui":
        from kiosk.voice.coqui import CoquiSynthesizer, resolve_coqui_model

        if paths is None:
            raise ConfigError(
                "Движок coqui пока не подключён к этой команде",
                'укажите voice.engine = "piper" или "espeak" в настройках',
            )
        model_dir, references = resolve_coqui_model(paths, settings.voice)
        return CoquiSynthesizer(model_dir, references)
    if settings.engine == "trained":
        from kiosk.voice.trained import TrainedSynthesizer, resolve_trained_checkpoint

        return TrainedSynthesizer(resolve_trained_checkpoint(paths, settings.checkpoint))
    if settings.engine == "festival":
        from kiosk.voice.festival import FestivalSynthesizer

        # The default voice setting is an espeak-ng name; Festival then uses its Russian voice.
        espeak_style = "+" in settings.voice or settings.voice in ("ru", "ru-cl")
        return FestivalSynthesizer(_FESTIVAL_DEFAULT if espeak_style else settings.voice)
    from kiosk.voice.espeak import EspeakSynthesizer

    return EspeakSynthesizer(settings.voice, rate_wpm=settings.rate_wpm, pitch=settings.pitch)


def speak(synthesizer: Synthesizer, text: str, emotion: str = "neutral") -> Synthesis | None:
    """Normalise ``text`` for speech and synthesise it; None when there is nothing to say.

    Blocking: call it from a worker thread (``asyncio.to_thread``).
    """
    spoken = normalize_for_speech(text)
    if not any(ch.isalnum() for ch in spoken):
        _LOGGER.debug("nothing to say in %r", text)
        return None
    synthesis = synthesizer.synthesize(spoken, emotion)
    if not synthesis.pcm:
        return None
    return synthesis
