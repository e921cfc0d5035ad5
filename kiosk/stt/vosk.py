"""Vosk (Kaldi) speech recognition: streaming partial results, and a grammar mode for the wake word.

Vosk is light (a small Russian model is 45 MB and runs on one CPU core) and
streams: partial text arrives while the child is still talking, so the brain
can start warming up early. It is less accurate than whisper on free speech.
With a grammar it only chooses between the listed phrases and ``[unk]``, which
makes a cheap always-on wake word spotter.

No Russian vosk model ships in a package: the parent imports
``vosk-model-small-ru-0.22`` (``kiosk models import``).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kiosk.errors import AudioFormatError, ModelCorrupt, ModelMissing
from kiosk.events import AudioFrame, Transcript

__all__ = [
    "DEFAULT_VOSK_MODEL",
    "UNKNOWN_WORD",
    "WAKE_GRAMMAR",
    "VoskTranscriber",
    "check_vosk_model_dir",
    "grammar_json",
]

_LOGGER = logging.getLogger(__name__)

DEFAULT_VOSK_MODEL = "vosk-model-small-ru-0.22"
"""The manifest's Russian vosk model."""
UNKNOWN_WORD = "[unk]"
"""Vosk's word for "something not in the grammar"; never part of a transcript."""
WAKE_GRAMMAR = ("аня", "привет аня", UNKNOWN_WORD)
"""The wake-word grammar: the phrases, and ``[unk]`` for all other speech."""
MIN_AUDIO_S = 0.1
"""Shorter audio is not worth a recogniser: the transcript is empty."""

_IMPORT_HINT = f"скопируйте модель на флешку и выполните: kiosk models import {DEFAULT_VOSK_MODEL}"
_FIX_HINT = (
    f"распакуйте архив модели Vosk ({DEFAULT_VOSK_MODEL}.zip) целиком "
    "и импортируйте папку заново: kiosk models import ПАПКА"
)
_REQUIRED = ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf")
_GRAPHS = (("graph/HCLG.fst",), ("graph/HCLr.fst", "graph/Gr.fst"))
"""A full decoding graph, or a lookahead pair (the small models) built at run time."""


def check_vosk_model_dir(model_dir: Path) -> None:
    """Raise ``ModelMissing``/``ModelCorrupt`` unless ``model_dir`` has vosk's layout.

    The layout vosk 0.3.x loads: ``am/final.mdl``, ``conf/mfcc.conf``,
    ``conf/model.conf``, and in ``graph/`` either ``HCLG.fst`` or the lookahead
    pair ``HCLr.fst`` + ``Gr.fst``; ``ivector/`` is optional.
    """
    if not model_dir.exists():
        raise ModelMissing(f"Нет папки модели распознавания речи Vosk: {model_dir}", _IMPORT_HINT)
    if not model_dir.is_dir():
        raise ModelCorrupt(f"{model_dir}: модель Vosk должна быть папкой, а это файл", _FIX_HINT)
    missing = [name for name in _REQUIRED if not (model_dir / name).is_file()]
    if not any(all((model_dir / f).is_file() for f in graph) for graph in _GRAPHS):
        missing.append("graph/HCLG.fst (или graph/HCLr.fst + graph/Gr.fst)")
    if missing:
        raise ModelCorrupt(
            f"В папке {model_dir.name} нет модели Vosk целиком, не хватает: {', '.join(missing)}",
            _FIX_HINT,
        )


def grammar_json(phrases: Sequence[str]) -> str:
    """The grammar string vosk takes: a JSON list of lower-case phrases, ending in ``[unk]``.

    ``[unk]`` is added when missing: without it every sound would be forced
    into one of the phrases (a false wake on any speech). Non-ASCII is written
    as is, because vosk does not decode JSON's backslash-u escapes and would
    look for a word spelled with backslashes.
    """
    cleaned: list[str] = []
    for phrase in phrases:
        words = " ".join(phrase.lower().split())
        if words and words not in cleaned:
            cleaned.append(words)
    if not [p for p in cleaned if p != UNKNOWN_WORD]:
        raise ValueError("a grammar needs at least one phrase")
    if UNKNOWN_WORD not in cleaned:
        cleaned.append(UNKNOWN_WORD)
    return json.dumps(cleaned, ensure_ascii=False)


def _parse_result(result: str) -> tuple[str, float]:
    """Text (``[unk]`` dropped) and mean word confidence of a vosk final result."""
    data = json.loads(result)
    words = [w for w in data.get("text", "").split() if w != UNKNOWN_WORD]
    confs = [
        float(w.get("conf", 1.0)) for w in data.get("result", []) if w.get("word") != UNKNOWN_WORD
    ]
    confidence = sum(confs) / len(confs) if confs else (1.0 if words else 0.0)
    return " ".join(words), min(max(confidence, 0.0), 1.0)


def _parse_partial(result: str) -> str:
    words = json.loads(result).get("partial", "").split()
    return " ".join(w for w in words if w != UNKNOWN_WORD)


class VoskTranscriber:
    """A ``Transcriber`` on vosk, with ``stream`` for partial results.

    The model loads when the object is made (about a second for a small one).
    Every call gets its own recogniser on the shared model, so one instance can
    serve several threads without a lock.
    """

    device = "cpu"

    def __init__(
        self,
        model_dir: Path,
        sample_rate: int = 16000,
        grammar: Sequence[str] | None = None,
        *,
        language: str = "ru",
    ) -> None:
        """Load the vosk model in ``model_dir``.

        ``grammar``: phrases to choose from (see ``grammar_json``), or None for
        free speech. ``sample_rate`` is the rate of raw-bytes input to
        ``stream``. Raises ``ModelMissing``/``ModelCorrupt`` for a missing or
        incomplete model.
        """
        model_dir = Path(model_dir).expanduser()
        check_vosk_model_dir(model_dir)
        try:
            import vosk
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise RuntimeError("vosk is not installed: pip install vosk==0.3.45") from exc

        vosk.SetLogLevel(-1)  # Kaldi's LOG lines go to stderr; warnings still do
        self.model_dir = model_dir
        self.name = f"vosk:{model_dir.name}"
        self.sample_rate = sample_rate
        self.language = language
        self.grammar = grammar_json(grammar) if grammar is not None else None
        self._vosk = vosk
        started = time.perf_counter()
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelCorrupt(f"Модель {model_dir.name} не загружается: {exc}", _FIX_HINT) from exc
        _LOGGER.info("loaded %s in %.1f s", self.name, time.perf_counter() - started)

    def recognizer(self, sample_rate: int | None = None) -> Any:
        """A fresh ``vosk.KaldiRecognizer`` (grammar applied, word confidences on)."""
        rate = float(sample_rate or self.sample_rate)
        if self.grammar is not None:
            rec = self._vosk.KaldiRecognizer(self._model, rate, self.grammar)
        else:
            rec = self._vosk.KaldiRecognizer(self._model, rate)
        rec.SetWords(True)
        return rec

    def transcribe(self, pcm: bytes, sample_rate: int) -> Transcript:
        """Recognise signed 16-bit mono ``pcm`` at ``sample_rate`` Hz (blocking).

        Vosk's own endpoints inside the audio are joined: the result is the
        whole utterance's text.
        """
        audio_seconds = len(pcm) / 2 / sample_rate if sample_rate > 0 else 0.0
        if audio_seconds < MIN_AUDIO_S:
            return Transcript("", self.language, True, audio_seconds, 0.0)
        finals = [
            t for t in self._run(self.recognizer(sample_rate), [pcm], sample_rate) if t.is_final
        ]
        texts = [t.text for t in finals if t.text]
        confidences = [t.confidence for t in finals if t.text]
        confidence = sum(confidences) / len(confidences) if confidences else 0.0
        return Transcript(" ".join(texts), self.language, True, audio_seconds, confidence)

    def stream(self, frames: Iterable[AudioFrame | bytes]) -> Iterator[Transcript]:
        """Partial transcripts while audio arrives, finals at vosk's endpoints and at the end.

        A partial (``is_final=False``) is yielded only when its text changes.
        A final covers the audio since the previous final (``audio_seconds``).
        The stream always ends with a final (empty when nothing was heard).
        Raw ``bytes`` frames are taken to be at ``sample_rate``; ``AudioFrame``
        rates must not change mid-stream.
        """
        iterator = iter(frames)
        first = next(iterator, None)
        if first is None:
            yield Transcript("", self.language, True, 0.0, 0.0)
            return
        rate = first.sample_rate if isinstance(first, AudioFrame) else self.sample_rate

        def chunks() -> Iterator[bytes]:
            for frame in itertools.chain((first,), iterator):
                if isinstance(frame, AudioFrame):
                    if frame.sample_rate != rate:
                        raise AudioFormatError(
                            f"Частота звука сменилась посреди потока: {rate} → "
                            f"{frame.sample_rate} Гц",
                            "подавайте кадры одной частоты (так делают источники kiosk.audio)",
                        )
                    yield frame.pcm
                else:
                    yield frame

        yield from self._run(self.recognizer(rate), chunks(), rate)

    def _run(self, rec: Any, chunks: Iterable[bytes], rate: int) -> Iterator[Transcript]:
        samples = 0
        last_partial = ""
        ended_with_final = False
        for pcm in chunks:
            if len(pcm) % 2:
                pcm = pcm[:-1]
            samples += len(pcm) // 2
            if rec.AcceptWaveform(pcm):
                text, confidence = _parse_result(rec.Result())
                last_partial = ""
                if text:
                    yield Transcript(text, self.language, True, samples / rate, confidence)
                    samples = 0
                    ended_with_final = True
                continue
            partial = _parse_partial(rec.PartialResult())
            if partial and partial != last_partial:
                last_partial = partial
                ended_with_final = False
                yield Transcript(partial, self.language, False, samples / rate, 0.0)
        text, confidence = _parse_result(rec.FinalResult())
        if text or not ended_with_final:
            yield Transcript(text, self.language, True, samples / rate, confidence)
