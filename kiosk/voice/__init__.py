"""The voice: Russian text normalisation, synthesizers and lip-sync timelines."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import VoiceSettings
from kiosk.errors import ConfigError
from kiosk.voice.base import Synthesis, Synthesizer
from kiosk.voice.cache import CachedSynthesizer, uncached
from kiosk.voice.lipsync import track_from_audio, track_from_phonemes
from kiosk.voice.normalize import normalize_for_speech

if TYPE_CHECKING:
    from kiosk.paths import Paths

__all__ = [
    "CachedSynthesizer",
    "Synthesis",
    "Synthesizer",
    "make_synthesizer",
    "normalize_for_speech",
    "speak",
    "track_from_audio",
    "track_from_phonemes",
    "uncached",
]

_LOGGER = logging.getLogger(__name__)

_FESTIVAL_DEFAULT = "msu_ru_nsh_clunits"


def make_synthesizer(
    settings: VoiceSettings, paths: Paths | None = None, *, cache: bool = True
) -> Synthesizer:
    """The engine ``settings.engine`` names, with its voice, speed and pitch.

    ``paths`` locates imported models (piper, coqui) and trained voices
    (``voice.checkpoint``); without it a piper voice must be given as a path to
    its ``.onnx`` file and a trained voice as a path to its ``.pt`` file. With
    ``cache`` the engine sits behind a ``CachedSynthesizer`` (phrases said again
    come from memory; ``preload``-ed lines from ``<data_dir>/cache/voice``).
    """
    engine, model_files = _make_engine(settings, paths)
    if not cache:
        return engine
    identity = json.dumps(
        [settings.model_dump(mode="json"), engine.name, [_fingerprint(f) for f in model_files]],
        sort_keys=True,
    )
    disk = None if paths is None else paths.data_dir / "cache" / "voice"
    return CachedSynthesizer(engine, identity, disk_dir=disk)


def _fingerprint(path: Path) -> str:
    # A retrained or re-imported model must not answer with the old model's audio.
    try:
        stat = path.stat()
    except OSError:
        return str(path)
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def _make_engine(settings: VoiceSettings, paths: Paths | None) -> tuple[Synthesizer, list[Path]]:
    """The bare engine and the model files its audio depends on."""
    if settings.engine == "piper":
        from kiosk.voice.piper import PiperSynthesizer, resolve_piper_model

        model = resolve_piper_model(paths, settings.voice)
        return PiperSynthesizer(model), [model, Path(f"{model}.json")]
    if settings.engine == "coqui":
        from kiosk.voice.coqui import CoquiSynthesizer, resolve_coqui_model

        if paths is None:
            raise ConfigError(
                "Движок coqui пока не подключён к этой команде",
                'укажите voice.engine = "piper" или "espeak" в настройках',
            )
        model_dir, references = resolve_coqui_model(paths, settings.voice)
        return CoquiSynthesizer(model_dir, references), [model_dir, *references]
    if settings.engine == "trained":
        from kiosk.voice.trained import TrainedSynthesizer, resolve_trained_checkpoint

        checkpoint = resolve_trained_checkpoint(paths, settings.checkpoint)
        return TrainedSynthesizer(checkpoint), [checkpoint]
    if settings.engine == "festival":
        from kiosk.voice.festival import FestivalSynthesizer

        # The default voice setting is an espeak-ng name; Festival then uses its Russian voice.
        espeak_style = "+" in settings.voice or settings.voice in ("ru", "ru-cl")
        return FestivalSynthesizer(_FESTIVAL_DEFAULT if espeak_style else settings.voice), []
    from kiosk.voice.espeak import EspeakSynthesizer

    espeak = EspeakSynthesizer(settings.voice, rate_wpm=settings.rate_wpm, pitch=settings.pitch)
    return espeak, []


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
