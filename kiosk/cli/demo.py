"""``kiosk demo``: the whole loop on the embedded defaults."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from kiosk.cli.context import AppContext, pass_app
from kiosk.demo import DemoTurn

__all__ = ["can_run_live", "demo"]


def can_run_live() -> bool:
    """True when a display and both a microphone and a speaker are present."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    from kiosk.audio import list_devices

    devices = list_devices()
    return any(d.get("inputs", 0) > 0 for d in devices) and any(
        d.get("outputs", 0) > 0 for d in devices
    )


def _stage_table(report_turns: list[DemoTurn]) -> list[tuple[str, str, str]]:
    rows = []
    keys = ("stt", "first_token", "first_sentence", "first_audio", "done")
    for turn in report_turns:
        if turn.result is None:
            rows.append((turn.question_file, turn.heard, "(не проснулась)"))
            continue
        t = turn.result.timings
        parts = " ".join(f"{k}={t[k]:.0f}" for k in keys if k in t)
        rows.append((turn.question_file, turn.result.reply, parts))
    return rows


@click.command()
@click.option("--headless", is_flag=True, help="Write a video even when a display and sound exist.")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for demo.mp4 and demo.wav (default: <data dir>/out).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def demo(app: AppContext, headless: bool, out_dir: Path | None, as_json: bool) -> None:
    """Run the whole loop on the embedded defaults.

    With a display and a sound card: the live avatar (say «Аня, …»). Without them: the
    bundled Russian questions go through the loop and the answer is written as an MP4.
    """
    if not headless and can_run_live():
        from kiosk.daemon.live import run_live

        run_live(app.settings, app.paths, demo=True)
        return
    from kiosk.demo import run_demo

    say = (lambda _msg: None) if as_json else (lambda msg: click.echo(msg, err=True))
    report = run_demo(app.settings, app.paths, out_dir=out_dir, progress=say)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "video": str(report.video),
                    "audio": str(report.audio),
                    "duration_s": round(report.duration, 2),
                    "engines": report.engines,
                    "turns": [
                        {
                            "question": t.question_file,
                            "heard": t.heard,
                            "woke": t.woke,
                            "reply": t.result.reply if t.result else None,
                            "emotion": t.result.emotion if t.result else None,
                            "timings_ms": t.result.timings if t.result else None,
                            "speech": [
                                [round(start, 3), round(audio.duration, 3)]
                                for start, audio in (t.result.speech if t.result else [])
                            ],
                        }
                        for t in report.turns
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo("")
    click.echo("Движки: " + ", ".join(f"{k}: {v}" for k, v in report.engines.items()))
    if "scripted" in report.engines.get("brain", ""):
        click.echo(
            "Мозг: сценарные диалоги (русская LLM не установлена — "
            "kiosk models import /путь/к/model.gguf)."
        )
    click.echo("Задержки, мс от конца речи ребёнка:")
    for name, reply, parts in _stage_table(report.turns):
        click.echo(f"  {name}: {parts}")
        click.echo(f"      → {reply}")
    click.echo(f"\nВидео: {report.video}  ({report.duration:.1f} с)")
    click.echo(f"Звук:  {report.audio}")
