"""Wake rates on whole sentences, the way the live loop judges them: sound first, then text.

Each sentence is synthesised by Festival's Russian voice, shifted in pitch with sox,
played at three levels, clean and in pink noise, and handed to the wake detector
as one utterance (``check``), as ``kiosk.daemon.replies.answer_utterance`` does.
Utterances the sound wakes on are transcribed and may be vetoed by the text
(``OwwWakeDetector.veto``). The set is the development set of the wake rules;
the held-out clips of ``content/wake/anya.json`` are never used to tune them.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kiosk.errors import ToolMissing
from kiosk.events import SpeechEnded, WakeDetected
from kiosk.listen.measure import with_noise
from kiosk.listen.oww import SAMPLE_RATE, dither

__all__ = [
    "festival_wav",
    "OTHER_SENTENCES",
    "UNSEEN_OTHER",
    "UNSEEN_PITCHES",
    "UNSEEN_WAKE",
    "WAKE_SENTENCES",
    "SentenceClip",
    "WakeTally",
    "sentence_clips",
    "tally_wakes",
]

_LOGGER = logging.getLogger(__name__)

WAKE_SENTENCES = (
    "Аня, как дела?",
    "Аня, расскажи сказку.",
    "Привет, Аня!",
    "Аня, что ты любишь рисовать?",
    "Аня, сколько будет два плюс два?",
    "Привет, Аня! Как дела?",
    "Аня, почему небо голубое?",
    "Аня, давай поиграем.",
)
"""Sentences addressed to Аня (the name first, or after a greeting)."""
OTHER_SENTENCES = (
    "Ваня, как дела?",
    "Таня, расскажи сказку.",
    "Баня уже натоплена.",
    "Маня, что ты любишь рисовать?",
    "Няня, сколько будет два плюс два?",
    "Саня, почему небо голубое?",
    "Даня, давай поиграем.",
    "Привет, Яна!",
    "Яна, как дела?",
    "А нет, я не хочу.",
    "Мама, можно мне конфету?",
    "Привет, Таня!",
    "Сегодня мы ходили в зоопарк.",
    "Папа вернётся поздно вечером.",
    "Включи, пожалуйста, мультики.",
    "Анализ показал хорошие результаты.",
    "Ну ладно, пока.",
    "Кот спит на диване.",
)
"""Sentences that must not wake her: rhyming names, "А нет", "мама", ordinary talk."""
UNSEEN_WAKE = (
    "Аня, научи меня загадке.",
    "Аня, сколько лет черепахе?",
    "Привет, Аня! Что нового?",
    "Слушай, Аня, мы пойдём гулять?",
    "Аня, почему идёт снег?",
    "Аня, как летают самолёты?",
)
"""Sentences to Аня that neither the head's training nor the veto's tuning used."""
UNSEEN_OTHER = (
    "А я не знаю.",
    "А я не хочу спать.",
    "Ваня, научи меня загадке.",
    "Таня, почему идёт снег?",
    "Привет, Саня!",
    "Няня, мы пойдём гулять?",
    "Мама, где мои носки?",
    "Завтра будет солнечно.",
    "Анна Петровна задала много.",
    "Я нарисую тебе кота.",
)
"""Sentences that must not wake her, never used for training or tuning ("А я не …"
is the hardest: whisper writes it "Аня не …")."""
UNSEEN_PITCHES = (150, 400)
"""Pitches of the unseen set (the development set uses ``PITCHES``)."""
PITCHES = (0, 250, 500)
"""sox pitch shifts in cents (0: Festival's male voice; +500: nearer a child's)."""
LEVELS_DB = (0.0, -10.0, -20.0)
"""Gain applied to each clip (a near, middle and far talker)."""
NOISE_SNR_DB = 15.0
"""Pink noise level of the noisy copy."""


@dataclass(frozen=True, slots=True)
class SentenceClip:
    """One sentence, one voice, one level, clean or noisy."""

    text: str
    wake: bool
    """True when the sentence is addressed to Аня."""
    cents: int
    level_db: float
    noisy: bool
    samples: NDArray[np.int16] = field(repr=False, compare=False)


@dataclass
class WakeTally:
    """Counts over a clip set: detections by the sound alone and after the text's veto."""

    wake_clips: int = 0
    other_clips: int = 0
    heard: int = 0
    """Wake clips the sound woke on."""
    confirmed: int = 0
    """Wake clips still woken after the transcript's veto."""
    false_heard: int = 0
    """Other clips the sound woke on (these alone cost an STT run)."""
    false_confirmed: int = 0
    """Other clips still woken after the veto: the false wakes the child would see."""
    false_by_text: dict[str, int] = field(default_factory=dict)
    """Final false wakes per sentence."""
    missed: list[str] = field(default_factory=list)
    """Wake clips lost, as "text @cents/level/noisy"."""

    def as_dict(self) -> dict[str, object]:
        """Plain numbers for JSON."""
        return {
            "wake_clips": self.wake_clips,
            "other_clips": self.other_clips,
            "detected_by_sound": self.heard,
            "detected": self.confirmed,
            "false_by_sound": self.false_heard,
            "false_wakes": self.false_confirmed,
            "false_by_text": dict(sorted(self.false_by_text.items(), key=lambda kv: -kv[1])),
            "missed": self.missed,
        }


def festival_wav(text: str, wav: Path, *, before: float = 0.3, after: float = 0.5) -> Path:
    """Write Festival's Russian voice saying ``text`` to ``wav``: 16 kHz mono, trimmed.

    ``before``/``after`` seconds of silence pad the speech. The test speech of the
    wake-word and endpoint measurements (and the tests' ``festival_wav`` fixture).
    """
    for tool in ("text2wave", "sox"):
        if shutil.which(tool) is None:
            raise ToolMissing(
                f"Для замера слова «Аня» нужна программа {tool}",
                "sudo apt install festival festvox-ru sox",
            )
    txt, raw = wav.with_suffix(".txt"), wav.with_suffix(".raw.wav")
    txt.write_text(text + "\n", encoding="utf-8")
    subprocess.run(
        ["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(txt), "-o", str(raw)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav),
         "silence", "1", "0.02", "0.1%", "reverse", "silence", "1", "0.02", "0.1%",
         "reverse", "pad", str(before), str(after)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return wav


def _festival(text: str, folder: Path) -> NDArray[np.int16]:
    from kiosk.audio.wav import read_wav

    pcm, _ = read_wav(festival_wav(text, folder / "s.wav"))
    return np.frombuffer(pcm, dtype="<i2").copy()


def _pitched(samples: NDArray[np.int16], cents: int, folder: Path) -> NDArray[np.int16]:
    if cents == 0:
        return samples
    import soundfile as sf

    src, out = folder / "in.wav", folder / "out.wav"
    sf.write(src, samples, SAMPLE_RATE, subtype="PCM_16")
    subprocess.run(
        ["sox", "-D", "-R", str(src), str(out), "pitch", str(cents)],
        check=True,
        capture_output=True,
    )
    data, _ = sf.read(out, dtype="int16")
    return np.asarray(data, dtype=np.int16)


def sentence_clips(
    wake_texts: Sequence[str] = WAKE_SENTENCES,
    other_texts: Sequence[str] = OTHER_SENTENCES,
    *,
    pitches: Sequence[int] = PITCHES,
    levels_db: Sequence[float] = LEVELS_DB,
    noise: bool = True,
) -> list[SentenceClip]:
    """Synthesise every sentence × pitch × level × (clean, noisy): 18 clips per text."""
    clips: list[SentenceClip] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-wake-eval-") as tmp:
        folder = Path(tmp)
        for texts, wake in ((wake_texts, True), (other_texts, False)):
            for i, text in enumerate(texts):
                base = _festival(text, folder)
                for cents in pitches:
                    voiced = _pitched(base, cents, folder)
                    for level in levels_db:
                        x = voiced.astype(np.float64) * 10 ** (level / 20)
                        quiet = (x + dither(len(x), seed=i)).clip(-32768, 32767).astype(np.int16)
                        clips.append(SentenceClip(text, wake, cents, level, False, quiet))
                        if noise:
                            noisy = with_noise(quiet, NOISE_SNR_DB, seed=i + cents)
                            clips.append(SentenceClip(text, wake, cents, level, True, noisy))
    return clips


def tally_wakes(
    clips: Iterable[SentenceClip],
    check: Callable[[SpeechEnded], WakeDetected | None],
    veto: Callable[[str, SpeechEnded, WakeDetected], str | None] | None = None,
    transcribe: Callable[[bytes], str] | None = None,
) -> WakeTally:
    """Count wakes: ``check`` on each clip as one utterance, then ``veto`` on its transcript.

    ``transcribe`` (PCM → text) runs only on clips the sound woke on, as in the live
    loop; transcripts are cached per clip object.
    """
    tally = WakeTally()
    for clip in clips:
        seconds = len(clip.samples) / SAMPLE_RATE
        utterance = SpeechEnded(clip.samples.tobytes(), SAMPLE_RATE, 0.0, seconds, seconds)
        if clip.wake:
            tally.wake_clips += 1
        else:
            tally.other_clips += 1
        found = check(utterance)
        kept = found is not None
        if found is not None and veto is not None:
            text = transcribe(utterance.pcm) if transcribe is not None else ""
            reason = veto(text, utterance, found)
            kept = reason is None
            _LOGGER.debug("%s → %r: %s", clip.text, text, reason or "wake")
        if clip.wake:
            tally.heard += found is not None
            tally.confirmed += kept
            if not kept:
                noise = "noisy" if clip.noisy else "clean"
                tally.missed.append(f"{clip.text} @{clip.cents}/{clip.level_db:.0f}/{noise}")
        else:
            tally.false_heard += found is not None
            tally.false_confirmed += kept
            if kept:
                tally.false_by_text[clip.text] = tally.false_by_text.get(clip.text, 0) + 1
    return tally
