"""``run_bench``: load the configured engines, measure every utterance, build the report."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.bench.corpus import SAFE_PHRASES, UNSAFE_PHRASES, build_corpus
from kiosk.bench.measure import (
    GpuMeter,
    machine_info,
    peak_rss_mb,
    render_frames,
    rss_mb,
    safety_figures,
    safety_rates,
    summarise,
)
from kiosk.bench.run import Engines, UtteranceResult, endpoint, measure_utterance
from kiosk.config import Settings
from kiosk.paths import Paths

__all__ = ["SCHEMA_VERSION", "STREAMING_STAGES", "run_bench"]

_LOGGER = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Bumped whenever a key of the report changes meaning or disappears."""

STREAMING_STAGES = (
    "endpoint",
    "stt",
    "first_token",
    "first_sentence",
    "first_audio",
    "first_frame",
    "reply_end",
)
"""Streaming marks, ms from the end of speech, in the order they must happen."""
SEQUENTIAL_STAGES = ("endpoint", "stt", "reply_done", "tts_done", "render_done", "first_audio")
"""Sequential marks, ms from the end of speech, in order."""
FLOOR_STAGES = (
    "endpoint",
    "stt",
    "brain_first_sentence",
    "tts_first_sentence",
    "first_frame",
    "first_audio_sum",
    "sum",
)
"""Stage-alone times (ms) and their sums."""
WAKE_STAGE = "wake"
"""The wake check, in the live loop's order: before STT with an acoustic detector (asleep, no
STT without «Аня»), after it with a transcript one. A streaming and sequential mark and a
floor stage, optional in the schema (older reports lack some)."""

FPS_FRAMES = {True: 90, False: 300}
"""Frames of speaking animation rendered for the FPS figure (quick / full)."""
VOICE_SENTENCES = {True: 2, False: 8}
"""First sentences each voice engine speaks (quick / full)."""
VOICE_RUNS = {True: 1, False: 2}
"""Times each voice engine speaks them (quick / full)."""
WINDOW_S = {True: 1.0, False: 5.0}
"""Seconds each face is shown in the live window (quick / full)."""
KIOSK_SCREEN = (1920, 1080)
"""The kiosk's display (width, height): fullscreen frames are letterboxed into it."""


def _stats(results: list[UtteranceResult], shape: str, stages: tuple[str, ...]) -> dict[str, Any]:
    return {
        stage: summarise(getattr(r, shape)[stage] for r in results if stage in getattr(r, shape))
        for stage in stages
    }


def _median(values: list[float]) -> float | None:
    values = sorted(v for v in values if not math.isnan(v))
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _load(
    settings: Settings, paths: Paths, store_dir: Path, gpu: GpuMeter
) -> tuple[Engines, dict[str, Any]]:
    """Build every stage, noting the resident (and GPU) memory each model adds."""
    from kiosk.audio.wav import TimelineSpeaker
    from kiosk.avatar import make_renderer
    from kiosk.avatar.animator import Animator
    from kiosk.brain import make_brain
    from kiosk.brain.persona import load_persona
    from kiosk.daemon.pipeline import TurnRunner
    from kiosk.demo import WallFollowingSpeaker
    from kiosk.listen import make_wake_detector
    from kiosk.store import Store
    from kiosk.stt import make_transcriber
    from kiosk.voice import make_synthesizer

    rss: dict[str, float] = {}
    vram: dict[str, float] = {}

    def loaded(name: str, make: Callable[[], Any]) -> Any:
        before, gpu_before = rss_mb(), gpu.used_mb()
        made = make()
        rss[name] = round(rss_mb() - before, 1)
        gpu_after = gpu.used_mb()
        if gpu_before is not None and gpu_after is not None:
            vram[name] = round(gpu_after - gpu_before, 1)
        return made

    transcriber = loaded("stt", lambda: make_transcriber(settings, paths))
    brain = loaded("brain", lambda: make_brain(settings, paths))
    synthesizer = loaded("voice", lambda: make_synthesizer(settings.voice, paths))
    renderer = loaded("avatar", lambda: make_renderer(settings.avatar, paths.avatars_dir))
    persona = load_persona(settings.general.persona, paths)
    # Bench turns go to a throwaway database: they are not the child's conversations.
    store = Store.open(store_dir / "bench-turns.db")
    animator = Animator(seed=7)
    speaker = WallFollowingSpeaker(TimelineSpeaker(sample_rate=22050))
    runner = TurnRunner(
        brain,
        store,
        persona_id=persona.id,
        synthesizer=synthesizer,
        speaker=speaker,
        animator=animator,
        source="bench",
        child_name=settings.general.child_name,
        history_turns=settings.brain.history_turns,
    )
    wake = loaded("wake", lambda: make_wake_detector(settings))
    engines = Engines(
        settings, transcriber, wake, brain, synthesizer, renderer, runner, speaker, animator,
        store,
    )  # fmt: skip
    memory = {"rss_per_model_mb": rss, "vram_per_model_mb": vram if gpu.available else None}
    return engines, memory


def _engine_names(eng: Engines) -> dict[str, str]:
    s = eng.settings
    acoustic = not getattr(eng.wake, "needs_transcript", True)
    return {
        "vad": f"webrtcvad (aggressiveness {s.listen.vad_aggressiveness}, "
        f"hangover {s.listen.end_silence_ms} ms)",
        "wake": f"{type(eng.wake).__name__} "
        + (
            "(acoustic, checked on the sound before STT; the transcript may veto)"
            if acoustic
            else "(transcript keyword, checked after STT)"
        ),
        "stt": getattr(eng.transcriber, "name", type(eng.transcriber).__name__),
        "brain": eng.brain.engine_name,
        "voice": eng.synthesizer.name,
        "avatar": f"drawn-face {s.avatar.size}px",
        "speaker": "virtual clock (TimelineSpeaker, wall-following)",
    }


async def _run(
    settings: Settings, paths: Paths, quick: bool, say: Callable[[str], None]
) -> dict[str, Any]:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    began = time.perf_counter()
    cpu_began, load_began = _cpu_seconds(), round(os.getloadavg()[0], 2)
    gpu = GpuMeter()
    say("Готовлю фразы для замеров…")
    corpus = build_corpus(paths.content_dir, paths.data_dir / "bench" / "corpus", quick=quick)
    say("Загружаю модели…")
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        eng, memory = _load(settings, paths, Path(tmp), gpu)
        # Warm up every engine once so that no figure carries a first-call cost.
        warm, _, _ = endpoint(corpus[0].path, settings)
        if warm is not None:
            eng.transcriber.transcribe(warm.pcm, warm.sample_rate)
            eng.wake.check(warm, "")
        async for _ in eng.brain.reply("Привет"):
            pass
        from kiosk.voice import speak

        speak(eng.synthesizer, "Привет.")
        say(f"Замеряю {len(corpus)} фраз…")
        results = [await measure_utterance(eng, item, say) for item in corpus]
        eng.runner.close()
        eng.store.close()
        say("Рисую кадры…")
        fps = min(settings.avatar.fps, 30)
        spoken = [r for r in results if r.streaming.get("first_audio")]
        start = 0.0
        if spoken:
            start = max(0.0, eng.clock - 3.0)  # inside the last replies: the mouth moves
        frame_ms = render_frames(eng.renderer, eng.animator, start, FPS_FRAMES[quick], fps)
        engines = _engine_names(eng)
        # Peak memory is the kiosk's: taken before other voice engines are loaded.
        report = _report(settings, quick, results, frame_ms, memory, engines, gpu, began)
        report.update(_extra_sections(eng, paths, quick, results, say))
    report["duration_s"] = round(time.perf_counter() - began, 1)
    report["cpu_s"] = round(_cpu_seconds() - cpu_began, 1)
    report["load_avg"] = {"start": load_began, "end": round(os.getloadavg()[0], 2)}
    return report


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _extra_sections(
    eng: Engines,
    paths: Paths,
    quick: bool,
    results: list[UtteranceResult],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Voice engines side by side, each face on one pinned core, the live window, fullscreen."""
    from kiosk.bench.faces import measure_faces
    from kiosk.bench.voices import first_sentences, measure_voices
    from kiosk.bench.window import measure_window
    from kiosk.voice import speak

    settings = eng.settings
    sentences = first_sentences([r.reply for r in results if r.reply], VOICE_SENTENCES[quick])
    say("Сравниваю движки голоса…")
    began = time.perf_counter()
    voices = measure_voices(
        settings, paths, sentences, runs=VOICE_RUNS[quick], configured=eng.synthesizer
    )
    voices["seconds"] = round(time.perf_counter() - began, 1)
    spoken = speak(eng.synthesizer, sentences[0])
    track = spoken.track if spoken is not None else None
    say("Рисую лица на одном ядре…")
    began = time.perf_counter()
    faces = measure_faces(settings, paths, FPS_FRAMES[quick], track)
    faces["seconds"] = round(time.perf_counter() - began, 1)
    say("Показываю лицо в окне…")
    began = time.perf_counter()
    photo = faces["faces"]["photo"]
    photo_dir = Path(photo["asset_dir"]) if photo.get("available") else None
    size, fps = settings.avatar.size, settings.avatar.fps
    window = measure_window(size, fps, WINDOW_S[quick], photo_dir, track)
    window["seconds_total"] = round(time.perf_counter() - began, 1)
    say(f"Показываю лицо на весь экран {KIOSK_SCREEN[0]}×{KIOSK_SCREEN[1]}…")
    began = time.perf_counter()
    full = measure_window(size, fps, WINDOW_S[quick], photo_dir, track, screen=KIOSK_SCREEN)
    full["seconds_total"] = round(time.perf_counter() - began, 1)
    return {"voices": voices, "faces": faces, "window": window, "fullscreen": full}


def _report(
    settings: Settings,
    quick: bool,
    results: list[UtteranceResult],
    frame_ms: list[float],
    memory: dict[str, Any],
    engines: dict[str, str],
    gpu: GpuMeter,
    began: float,
) -> dict[str, Any]:
    # Latency only where the endpointer itself ended the speech (its hangover is the origin).
    answered = [
        r for r in results if r.streaming.get("first_audio") and r.floor and not r.endpoint_missed
    ]
    wake_items = [r for r in results if r.expected_wake]
    other = [r for r in results if not r.expected_wake]
    ref_words = sum(r.reference_words for r in results)
    stream_fa = _median([r.streaming["first_audio"] for r in answered])
    seq_fa = _median([r.sequential["first_audio"] for r in answered])
    offsets = [r.av_offset_ms for r in results if r.av_offset_ms is not None]
    mean_frame = sum(frame_ms) / len(frame_ms) if frame_ms else 0.0
    return {
        "schema_version": SCHEMA_VERSION,
        "kiosk_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "duration_s": round(time.perf_counter() - began, 1),
        "machine": machine_info(gpu),
        "engines": engines,
        "corpus": {
            "utterances": len(results),
            "with_wake": len(wake_items),
            "without_wake": len(other),
            "noisy": sum(r.variant == "noisy" for r in results),
            "answered": len(answered),
            "endpoint_missed": sum(r.endpoint_missed for r in results),
            "stt_skipped": sum(r.stt_skipped for r in results),
            "vetoed": sum(r.vetoed for r in results),
        },
        "stages": {
            "streaming": _stats(answered, "streaming", (*STREAMING_STAGES, WAKE_STAGE)),
            "sequential": _stats(answered, "sequential", (*SEQUENTIAL_STAGES, WAKE_STAGE)),
            "floor": _stats(answered, "floor", (*FLOOR_STAGES, WAKE_STAGE)),
        },
        "ratios": {
            "streaming_over_sequential_first_audio": _ratio(stream_fa, seq_fa),
            "sequential_over_streaming_first_audio": _ratio(seq_fa, stream_fa),
            "overhead_first_audio": _ratio(
                stream_fa, _median([r.floor["first_audio_sum"] for r in answered])
            ),
            "overhead_first_frame": _ratio(
                _median([r.streaming["first_frame"] for r in answered]),
                _median([r.floor["sum"] for r in answered]),
            ),
        },
        "render": {
            "size": settings.avatar.size,
            "frame_loop_fps": settings.avatar.fps,
            "frames": len(frame_ms),
            "fps": round(1000.0 / mean_frame, 1) if mean_frame else None,
            "frame_ms": summarise(frame_ms),
            "frame_times_ms": [round(v, 3) for v in frame_ms],
        },
        "av_offset_ms": summarise(offsets),
        "memory": {"peak_rss_mb": round(peak_rss_mb(), 1), **memory},
        "accuracy": {
            "wer": round(sum(r.word_errors for r in results) / ref_words, 3) if ref_words else None,
            "wake_detection_rate": _ratio(sum(r.woke for r in wake_items), len(wake_items)),
            "false_wake_rate": _ratio(sum(r.woke for r in other), len(other)) if other else 0.0,
            "safety": {
                **safety_figures(settings.brain.safety_level),
                "bench_phrases": safety_rates(UNSAFE_PHRASES, SAFE_PHRASES),
            },
        },
        "utterances": [r.to_dict() for r in results],
    }


def run_bench(
    settings: Settings,
    paths: Paths,
    *,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure the configured kiosk on the bench corpus; the report as a JSON-ready dict."""
    return asyncio.run(_run(settings, paths, quick, progress or _LOGGER.info))
