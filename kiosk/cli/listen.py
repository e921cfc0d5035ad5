"""``kiosk listen --file WAV``: wake word, end-of-speech detection and STT on a recording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kiosk.cli.context import AppContext, pass_app
from kiosk.events import SpeechEnded, SpeechStarted, WakeDetected
from kiosk.listen.hearing import Heard, HearingEvent

__all__ = ["eval_wake", "event_record", "listen", "train_wake"]


def event_record(event: HearingEvent) -> dict[str, Any]:
    """One hearing event as a JSON-ready dict with a ``type`` field (times in seconds)."""
    match event:
        case SpeechStarted():
            return {"type": "speech_started", "t": round(event.timestamp, 3)}
        case SpeechEnded():
            return {
                "type": "speech_ended",
                "start": round(event.start, 3),
                "end": round(event.end, 3),
                "decided_at": round(event.decided_at, 3),
                "endpoint_ms": round((event.decided_at - event.end) * 1000),
                "audio_seconds": round(len(event.pcm) / 2 / event.sample_rate, 3),
            }
        case WakeDetected():
            return {
                "type": "wake",
                "phrase": event.phrase,
                "score": round(event.score, 3),
                "t": round(event.timestamp, 3),
            }
        case Heard():
            return {
                "type": "transcript",
                "text": event.text,
                "raw": event.transcript.text,
                "accepted": event.accepted,
                "wake": event.wake is not None,
                "t": round(event.utterance.decided_at, 3),
                "stt_ms": round(event.stt_ms),
                "confidence": round(event.transcript.confidence, 3),
                "audio_seconds": round(event.transcript.audio_seconds, 3),
            }
    raise TypeError(f"not a hearing event: {event!r}")


def _describe(event: HearingEvent) -> str:
    match event:
        case SpeechStarted():
            return f"{event.timestamp:7.2f} с  ▶ речь началась"
        case SpeechEnded():
            return (
                f"{event.end:7.2f} с  ■ речь закончилась "
                f"(с {event.start:.2f} с, конец замечен в {event.decided_at:.2f} с, "
                f"через {(event.decided_at - event.end) * 1000:.0f} мс)"
            )
        case WakeDetected():
            return f"{event.timestamp:7.2f} с  ★ услышано «{event.phrase}» ({event.score:.2f})"
        case Heard():
            said = f"«{event.text}»" if event.text else "(только имя)"
            if not event.transcript.text:
                said = "(ничего не распознано)"
            note = "" if event.accepted else "  — без слова-пробуждения, пропущено"
            return f"{'':7}    {said}  [распознано за {event.stt_ms:.0f} мс]{note}"
    raise TypeError(f"not a hearing event: {event!r}")


@click.group(invoke_without_command=True)
@click.option(
    "--file",
    "wav_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Recording to listen to (WAV, FLAC or OGG; resampled to 16 kHz).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object per event (JSON lines)."
)
@click.option("--no-wake", is_flag=True, help="Accept every utterance, without the wake phrase.")
@click.option(
    "--no-join",
    is_flag=True,
    help="Judge each utterance as the endpointer cuts it, without joining a mid-sentence "
    "pause (the live loop joins speech that goes on within a second).",
)
@pass_app
@click.pass_context
def listen(
    ctx: click.Context,
    app: AppContext,
    wav_path: Path | None,
    as_json: bool,
    no_wake: bool,
    no_join: bool,
) -> None:
    """Find utterances in a recording, recognise them and check for the wake phrase."""
    if ctx.invoked_subcommand is not None:
        return
    if wav_path is None:
        raise click.UsageError("укажите запись: kiosk listen --file WAV")
    from kiosk.audio.wav import WavFileSource
    from kiosk.listen import make_endpointer, make_wake_detector, wake_engine
    from kiosk.listen.hearing import JOIN_S, hear
    from kiosk.stt import make_transcriber

    settings = app.settings
    # Open the file first: a bad path fails before the model loads.
    source = WavFileSource(
        wav_path, sample_rate=settings.audio.sample_rate, frame_ms=settings.audio.frame_ms
    )
    endpointer = make_endpointer(settings)
    wake = None if no_wake else make_wake_detector(settings)
    transcriber = make_transcriber(settings, app.paths)

    utterances = accepted = 0
    try:
        for event in hear(
            source.frames(),
            endpointer,
            transcriber,
            wake,
            follow_up_s=settings.listen.follow_up_s,
            join_s=None if no_join else JOIN_S,
        ):
            if isinstance(event, Heard):
                utterances += 1
                accepted += event.accepted
            if as_json:
                click.echo(json.dumps(event_record(event), ensure_ascii=False))
            else:
                click.echo(_describe(event))
    finally:
        source.close()
    summary = {
        "type": "done",
        "file": str(wav_path),
        "audio_seconds": round(source.duration, 3),
        "utterances": utterances,
        "accepted": accepted,
        "wake_engine": "none" if wake is None else wake_engine(settings),
        "vad": settings.listen.vad_engine,
        "stt": transcriber.name,
        "device": transcriber.device,
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo(
            f"Фраз: {utterances}, принято: {accepted} "
            f"({source.duration:.1f} с записи, {transcriber.name} на {transcriber.device})"
        )


@listen.command("train-wake")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the head (.npz; metrics go next to it as .json). "
    "Default: the shipped content/wake/anya.npz.",
)
@click.option("--seed", type=int, default=None, help="Data set seed (default: the recipe's).")
@click.option("--quick", is_flag=True, help="A small data set (a minute): to check the tools.")
def train_wake(out: Path | None, seed: int | None, quick: bool) -> None:
    """Synthesise the «Аня» data set and train the wake word head (several minutes)."""
    import dataclasses

    from kiosk.listen.oww import WAKE_HEAD
    from kiosk.listen.wake_train import HELD_OUT, TRAIN, train

    recipe = TRAIN
    held_out = HELD_OUT
    if quick:
        recipe = dataclasses.replace(
            recipe, positives=40, near_misses=30, ordinary=20, noise_only=4
        )
        held_out = dataclasses.replace(held_out, positives=12, near_misses=8, ordinary=4)
    if seed is not None:
        recipe = dataclasses.replace(recipe, seed=seed)
    target = out or WAKE_HEAD
    click.echo(f"Синтезирую примеры и обучаю модель «Аня» → {target} …")
    metrics = train(target, recipe=recipe, held_out=held_out)
    for row in metrics["held_out_by_threshold"]:  # type: ignore[attr-defined]
        click.echo(
            f"  порог {row['threshold']:.1f}: узнано {row['detection_rate']:.0%} "
            f"из {row['wake_clips']}, ложных {row['false_wakes']} из {row['other_clips']}"
        )
    click.echo(f"Готово за {metrics['seconds']} с; метрики: {target.with_suffix('.json')}")


@listen.command("eval-wake")
@click.option(
    "--set",
    "which",
    type=click.Choice(["unseen", "dev"]),
    default="unseen",
    show_default=True,
    help="unseen: sentences the head and the veto's thresholds were not tuned on; "
    "dev: the set the veto was tuned on.",
)
@click.option("--wake", "wake_texts", multiple=True, help="A sentence to Аня (replaces the set's).")
@click.option("--other", "other_texts", multiple=True, help="A sentence that must not wake her.")
@click.option("--pitch", "pitches_opt", type=int, multiple=True, help="sox pitch shift, cents.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@pass_app
def eval_wake(
    app: AppContext,
    which: str,
    wake_texts: tuple[str, ...],
    other_texts: tuple[str, ...],
    pitches_opt: tuple[int, ...],
    as_json: bool,
) -> None:
    """Measure the wake word on Festival sentences, as the live loop judges them (minutes).

    Each sentence is said at several pitches and levels, clean and in pink noise;
    the configured detector hears each as one utterance and, when it wakes, the
    configured STT model's transcript may veto it.
    """
    from kiosk.events import SpeechEnded as Utterance
    from kiosk.listen import make_wake_detector, wake_engine
    from kiosk.listen import wake_eval as ev
    from kiosk.stt import make_transcriber

    settings = app.settings
    wake = make_wake_detector(settings)
    transcriber = make_transcriber(settings, app.paths)

    def transcribe(pcm: bytes) -> str:
        return transcriber.transcribe(pcm, ev.SAMPLE_RATE).text

    if getattr(wake, "needs_transcript", True):

        def check(utterance: Utterance) -> WakeDetected | None:
            return wake.check(utterance, transcribe(utterance.pcm))

        veto = None
    else:
        check = wake.check
        own_veto = getattr(wake, "veto", None)

        def veto(text: str, utterance: Utterance, found: WakeDetected) -> str | None:
            return own_veto(text, found, utterance) if own_veto is not None else None

    pitches: tuple[int, ...]
    texts: tuple[tuple[str, ...], tuple[str, ...]]
    if which == "dev":
        texts, pitches = (ev.WAKE_SENTENCES, ev.OTHER_SENTENCES), ev.PITCHES
    else:
        texts, pitches = (ev.UNSEEN_WAKE, ev.UNSEEN_OTHER), ev.UNSEEN_PITCHES
    if wake_texts or other_texts:
        which = "custom"
        texts = (wake_texts, other_texts)
    pitches = pitches_opt or pitches
    if not as_json:
        click.echo(f"Синтезирую {len(texts[0]) + len(texts[1])} фраз Festival …")
    clips = ev.sentence_clips(*texts, pitches=pitches)
    tally = ev.tally_wakes(clips, check, veto, transcribe)
    result = {"set": which, "wake_engine": wake_engine(settings), **tally.as_dict()}
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(
        f"С именем: узнано {tally.confirmed} из {tally.wake_clips} "
        f"(по звуку {tally.heard}); без имени: ложных {tally.false_confirmed} "
        f"из {tally.other_clips} (по звуку {tally.false_heard})."
    )
    for text, count in tally.false_by_text.items():
        click.echo(f"  ложно: «{text}» × {count}")
    for missed in tally.missed:
        click.echo(f"  пропущено: {missed}")
