"""``kiosk voice``: enroll recordings into a dataset, plan fine-tuning, list voices."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kiosk.cli.context import AppContext, pass_app

__all__ = ["voice"]


@click.group()
def voice() -> None:
    """Voice enrollment and training."""


def _ask_consent(yes: bool) -> str:
    from kiosk.voice.enroll import CONSENT_TEXT

    if yes:
        return "--yes"
    click.echo(click.wrap_text(CONSENT_TEXT, width=78), err=True)
    try:
        agreed = click.confirm("Согласны?", default=False, err=True)
    except click.Abort:
        agreed = False
    if not agreed:
        raise click.ClickException("Без согласия родителя голос не записывается.")
    return "prompt"


@voice.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--name", default="child", show_default=True, help="Name of the voice.")
@click.option("--yes", is_flag=True, help="The guardian has already agreed (skip the prompt).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def enroll(app: AppContext, folder: Path, name: str, yes: bool, as_json: bool) -> None:
    """Turn a FOLDER of recordings into a training dataset with a quality report."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from kiosk.stt import make_transcriber
    from kiosk.voice.enroll import enroll_folder, record_consent, summary_ru, voice_dir

    target = voice_dir(app.paths, name)
    method = _ask_consent(yes)
    record_consent(target, method)
    settings = app.settings
    # The wake-word prompt would push "Аня" into every transcript; enrollment wants none.
    stt = settings.stt.model_copy(update={"hotwords": ()})
    transcriber = make_transcriber(settings.model_copy(update={"stt": stt}), app.paths)
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=console, transient=True, disable=as_json,
    ) as progress:  # fmt: skip
        task = progress.add_task("Записи", total=None)

        def on_progress(done: int, total: int, current: str) -> None:
            progress.update(task, completed=done, total=total, description=current or "готово")

        report = enroll_folder(folder, target, transcriber, on_progress=on_progress)
    if as_json:
        click.echo(report.to_json())
    else:
        click.echo(summary_ru(report))
        click.echo(f"Время: {report.elapsed_s:.0f} с; отчёт: {target / 'report.json'}")
    if not report.clips:
        raise click.ClickException("Ни одной годной фразы: набор не создан (см. причины выше)")


@voice.command()
@click.option("--name", default="child", show_default=True, help="Name of the voice.")
@click.option(
    "--recipe", type=click.Choice(["xtts", "vits"]), default="xtts", show_default=True,
    help="Fine-tune XTTS-v2 (needs its weights) or train VITS.",
)  # fmt: skip
@pass_app
def train(app: AppContext, name: str, recipe: str) -> None:
    """Plan (and, with the voice-clone extra and weights, run) fine-tuning on the dataset."""
    from kiosk.voice.enroll import voice_dir
    from kiosk.voice.train import check_ready, plan_training, write_plan

    target = voice_dir(app.paths, name)
    plan = plan_training(target, "xtts" if recipe == "xtts" else "vits")
    path = write_plan(plan)
    click.echo(
        f"План обучения «{plan.voice}» ({plan.recipe}): {plan.clips} фраз, {plan.minutes:.1f} мин, "
        f"{plan.epochs} эпох, пакет {plan.batch_size}; записан в {path}"
    )
    try:
        check_ready(plan, app.paths)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    raise click.ClickException(
        "Запуск обучения из kiosk ещё не реализован: план готов, "
        "запустите рецепт Coqui (TTS/recipes/ljspeech/xtts_v2) с этим plan.json"
    )


@voice.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def list_voices(app: AppContext, as_json: bool) -> None:
    """Enrolled voices: usable minutes, consent, training plans."""
    from kiosk.voice.enroll import has_consent

    rows = []
    root = app.paths.voices_dir
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not folder.is_dir() or folder.name == "speakers" or folder.name.startswith("."):
            continue
        report_path = folder / "report.json"
        report = (
            json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else {}
        )
        rows.append(
            {
                "name": folder.name,
                "usable_minutes": report.get("usable_minutes", 0.0),
                "clips": len(report.get("clips", [])),
                "consent": has_consent(folder),
                "dataset": (folder / "dataset" / "metadata.csv").is_file(),
                "plans": sorted(p.parent.name for p in folder.glob("train-*/plan.json")),
            }
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("Голосов пока нет: kiosk voice enroll ПАПКА --name ИМЯ")
    for row in rows:
        click.echo(
            f"{row['name']}: {row['usable_minutes']:.1f} мин, {row['clips']} фраз, "
            f"согласие: {'да' if row['consent'] else 'нет'}, "
            f"набор: {'есть' if row['dataset'] else 'нет'}"
            + (f", планы: {', '.join(row['plans'])}" if row["plans"] else "")
        )
