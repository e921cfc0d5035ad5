"""``kiosk say TEXT -o out.wav``: speak with the configured voice (and the lip-sync timeline)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from kiosk.cli.context import AppContext, pass_app
from kiosk.events import LipSyncTrack
from kiosk.voice.engines import ENGINES

__all__ = ["say", "timeline_path", "timeline_json"]


def timeline_path(output: Path) -> Path:
    """Where the timeline for ``output`` goes: ``out.wav`` → ``out.timeline.json``."""
    return output.with_name(output.stem + ".timeline.json")


def timeline_json(track: LipSyncTrack, duration: float, sample_rate: int) -> str:
    """The lip-sync track as JSON: rate, openness per sample, (start, viseme) pairs."""
    return json.dumps(
        {
            "rate": track.rate,
            "duration": round(duration, 4),
            "sample_rate": sample_rate,
            "openness": [round(v, 4) for v in track.openness],
            "visemes": [[round(start, 4), label] for start, label in track.visemes],
        },
        ensure_ascii=False,
    )


def _check_writable(output: Path) -> None:
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise click.ClickException(f"Папка для файла не существует: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.ClickException(f"Нет прав на запись в папку {folder}")
    if output.is_dir():
        raise click.ClickException(f"{output} — это папка, а нужен путь к файлу .wav")


@click.command()
@click.argument("text")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="WAV file to write.",
)
@click.option("--timeline", is_flag=True, help="Also write OUTPUT.timeline.json (mouth openness).")
@click.option(
    "--emotion",
    default="neutral",
    show_default=True,
    help="Emotion label that shapes pitch and speed (happy, sad, calm, excited, ...).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    help="Speak with this engine instead of voice.engine (the rest of [voice] still applies).",
)
@click.option(
    "--checkpoint",
    help="Trained voice for --engine trained: a voice name or a .pt file (voice.checkpoint).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def say(
    app: AppContext, text: str, output: Path, timeline: bool, emotion: str,
    engine: str | None, checkpoint: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Speak TEXT with the configured voice into a WAV file."""
    from kiosk.audio.wav import write_wav
    from kiosk.paths import atomic_write_text
    from kiosk.voice import make_synthesizer, normalize_for_speech, speak

    _check_writable(output)
    settings = app.settings.voice
    if checkpoint is not None:
        settings = settings.model_copy(update={"checkpoint": checkpoint})
    if engine is not None:
        settings = settings.model_copy(update={"engine": engine})
    synthesizer = make_synthesizer(settings, app.paths)
    synthesis = speak(synthesizer, text, emotion)
    if synthesis is None:
        raise click.UsageError("В тексте нечего произносить (только символы или эмодзи)")
    written_timeline: Path | None = None
    try:
        write_wav(output, synthesis.pcm, synthesis.sample_rate)
        if timeline:
            written_timeline = timeline_path(output)
            atomic_write_text(
                written_timeline,
                timeline_json(synthesis.track, synthesis.duration, synthesis.sample_rate),
            )
    except OSError as exc:
        raise click.ClickException(f"Не удалось записать {output}: {exc.strerror or exc}") from exc
    if as_json:
        click.echo(
            json.dumps(
                {
                    "output": str(output),
                    "timeline": str(written_timeline) if written_timeline else None,
                    "duration": round(synthesis.duration, 3),
                    "sample_rate": synthesis.sample_rate,
                    "engine": synthesizer.name,
                    "spoken": normalize_for_speech(text),
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"Записано: {output} ({synthesis.duration:.2f} с, {synthesizer.name})")
    if written_timeline:
        click.echo(f"Мимика губ: {written_timeline}")
