"""Time to first audio for fixed lines: engine (uncached), memory hit, disk hit after a restart.

Run: ``.venv/bin/python scripts/measure_voice_cache.py [--repeats 15]``. Each figure
is the wall time of ``speak`` (normalise + synthesise) for the first sentence of a
line, which is what the daemon waits for before the first sound of a reply.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from kiosk.brain.safety_redirects import REDIRECTS
from kiosk.brain.sentences import split_sentences
from kiosk.config import VoiceSettings
from kiosk.paths import Paths
from kiosk.voice import (
    CachedSynthesizer,
    Synthesizer,
    make_synthesizer,
    speak,
)

LINES = {
    label: split_sentences(text)[0]  # the daemon speaks a reply sentence by sentence
    for label, text in {
        "greeting": "Привет! Я Аня. О чём поговорим сегодня?",
        "redirect": REDIRECTS["bullying"].format(name="Аня"),
        "goodnight": "Уже поздно, давай поговорим завтра! Спокойной ночи.",
    }.items()
}


def _ms(synth: Synthesizer, text: str) -> float:
    started = time.perf_counter()
    speak(synth, text)
    return (time.perf_counter() - started) * 1000.0


def _cached(paths: Paths, engine: str) -> CachedSynthesizer:
    synth = make_synthesizer(VoiceSettings(engine=engine), paths)
    assert isinstance(synth, CachedSynthesizer)
    return synth


def main() -> None:
    """Print median and max milliseconds per line and path."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--engine", default="espeak", help="espeak or festival")
    args = parser.parse_args()
    repeats, kind = args.repeats, args.engine
    with tempfile.TemporaryDirectory() as root:
        paths = Paths(Path(root), Path(root) / "models", Path(root), Path(root) / "sock")
        warm = _cached(paths, kind)
        speak(warm, "Да.")  # library load is start-up cost, not per-line latency
        warm.preload((text, "neutral") for text in LINES.values())
        print(f"machine: {platform.node()} {platform.platform()}, {platform.processor() or '?'}")
        print(f"engine: {warm.name}; {repeats} repeats; milliseconds median / max")
        for label, text in LINES.items():
            engine = warm.engine
            # Uncached: the bare engine, what every phrase cost before the cache.
            uncached = [_ms(engine, text) for _ in range(repeats)]
            memory = [_ms(warm, text) for _ in range(repeats)]
            # Disk: a fresh synthesizer (empty memory, as after a daemon restart).
            disk = []
            for _ in range(repeats):
                disk.append(_ms(_cached(paths, kind), text))
            seconds = speak(warm, text)
            audio = seconds.duration if seconds is not None else 0.0
            print(
                f"{label:10s} ({audio:.1f} s of audio): "
                + ", ".join(
                    f"{name} {statistics.median(v):.2f} / {max(v):.2f}"
                    for name, v in (("uncached", uncached), ("memory", memory), ("disk", disk))
                )
            )


if __name__ == "__main__":
    main()
