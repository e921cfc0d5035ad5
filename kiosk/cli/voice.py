"""``kiosk voice``: enroll recordings into a dataset, train a voice model, list voices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli.context import AppContext, pass_app

if TYPE_CHECKING:
    from kiosk.voice.trainer import TrainOptions

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


_TRAIN_HELP = """Train a voice model on an enrolled DATASET (LJSpeech: metadata.csv + wavs/).

DATASET defaults to the dataset of --name (made by `kiosk voice enroll`).

The default recipe trains kiosk's compact acoustic model (characters → mel,
Griffin-Lim audio) with checkpoints that resume. Honest expectations: a usable,
recognisable (still buzzy) voice needs 5–10 minutes of clean speech and roughly
20 000 steps — hours on a GPU, days on a CPU; it does not reach the quality of
XTTS-v2 cloning. --tiny trains a ~0.1 M-parameter model for a quick check of
the training code (seconds on a CPU); its audio is not a voice.

--recipe xtts writes the fine-tuning plan for Coqui's XTTS-v2 recipe (GPU, the
voice-clone extra and the XTTS-v2 weights) and checks what is missing.
"""


def _train_xtts(app: AppContext, name: str) -> None:
    from kiosk.voice.enroll import voice_dir
    from kiosk.voice.train import check_ready, plan_training, write_plan

    plan = plan_training(voice_dir(app.paths, name), "xtts")
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
        "Дообучение XTTS из kiosk не запускается: план готов, запустите рецепт Coqui "
        "(TTS/recipes/ljspeech/xtts_v2) с этим plan.json на машине с GPU"
    )


@voice.command(help=_TRAIN_HELP)
@click.argument("dataset", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--name", default="child", show_default=True, help="Name of the voice.")
@click.option(
    "--steps",
    type=click.IntRange(1),
    default=20_000,
    show_default=True,
    help="Optimisation steps in total (a resumed run continues up to this).",
)
@click.option("--tiny", is_flag=True, help="Tiny model: checks the training code in seconds.")
@click.option("--batch-size", type=click.IntRange(1), default=16, show_default=True)
@click.option(
    "--checkpoint-every",
    type=click.IntRange(1),
    default=500,
    show_default=True,
    help="Steps between checkpoints and evaluation samples.",
)
@click.option("--restart", is_flag=True, help="Start from scratch even if a checkpoint exists.")
@click.option(
    "--init",
    "init_from",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Start from this checkpoint's weights (fine-tune a pre-trained voice).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Checkpoint folder [default: train-acoustic/ or train-tiny/ by the dataset].",
)
@click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True
)
@click.option(
    "--recipe",
    type=click.Choice(["acoustic", "xtts"]),
    default="acoustic",
    show_default=True,
    help="kiosk's compact model, or the XTTS-v2 fine-tuning plan.",
)
@click.option(
    "--threads", type=click.IntRange(0), default=0,
    help="CPU threads for torch [default: 1 with --tiny, else torch's choice].",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def train(
    app: AppContext, dataset: Path | None, name: str, steps: int, tiny: bool, batch_size: int,
    checkpoint_every: int, restart: bool, init_from: Path | None, output: Path | None,
    device: str, recipe: str, threads: int, as_json: bool,
) -> None:  # fmt: skip
    if recipe == "xtts":
        _train_xtts(app, name)
        return
    try:
        import torch
    except ImportError as exc:
        raise click.ClickException(
            "Для обучения голоса нужен torch: ./install.sh --speaker (пакет torch==2.13.0)"
        ) from exc
    from kiosk.voice.enroll import voice_dir
    from kiosk.voice.trainer import TrainOptions

    dataset = dataset or voice_dir(app.paths, name) / "dataset"
    # An enrolled voice keeps its runs beside its dataset; any other dataset holds its own.
    home = dataset.parent if dataset.name == "dataset" else dataset
    output = output or home / ("train-tiny" if tiny else "train-acoustic")
    options = TrainOptions(
        steps=steps, size="tiny" if tiny else "small", batch_size=batch_size,
        learning_rate=3e-3 if tiny else 1e-3, checkpoint_every=checkpoint_every,
        resume=not restart, init_from=init_from, device=device, threads=threads or int(tiny),
    )  # fmt: skip
    if not as_json and not tiny and (device == "cpu" or not torch.cuda.is_available()):
        click.echo(
            "Обучение на процессоре: это медленно (часы и дни); на GPU в десятки раз быстрее.",
            err=True,
        )
    _run_training(dataset, output, options, as_json)


def _run_training(dataset: Path, output: Path, options: TrainOptions, as_json: bool) -> None:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from kiosk.voice.trainer import StepReport, TrainingInterrupted, train_voice

    with Progress(
        TextColumn("Обучение"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeRemainingColumn(), console=Console(stderr=True), transient=True, disable=as_json,
    ) as progress:  # fmt: skip
        task = progress.add_task("", total=options.steps)

        def on_step(report: StepReport) -> None:
            progress.update(task, completed=report.step, description=f"потери {report.loss:.3f}")

        try:
            result = train_voice(dataset, output, options, on_step=on_step)
        except TrainingInterrupted as stop:
            raise click.ClickException(
                f"Обучение остановлено на шаге {stop.step}, сохранено в {stop.checkpoint}; "
                "чтобы продолжить, запустите ту же команду"
            ) from None
    first = result.losses[result.start_step] if len(result.losses) > result.start_step else None
    summary = {
        "checkpoint": str(result.checkpoint), "from_step": result.start_step,
        "step": result.step, "clips": result.clips, "skipped": result.skipped,
        "device": result.device, "parameters": result.parameters,
        "first_loss": first, "last_loss": result.losses[-1] if result.losses else None,
        "eval_samples": [str(p) for p in result.eval_samples],
        "seconds": round(result.seconds, 2),
        "similarity": result.similarity.synthetic if result.similarity else None,
        "similarity_between_recordings": (
            result.similarity.recordings if result.similarity else None
        ),
    }  # fmt: skip
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    if first is None or result.step == result.start_step:
        click.echo(f"Уже обучено до шага {result.step}: увеличьте --steps или начните с --restart")
        return
    click.echo(
        f"Шаги {result.start_step}→{result.step} на {result.device}, {result.clips} фраз, "
        f"потери {first:.3f} → {result.losses[-1]:.3f}, {result.seconds:.0f} с"
    )
    for line in result.skipped:
        click.echo(f"  пропущено: {line}")
    if result.similarity is not None:
        ceiling = result.similarity.recordings
        click.echo(
            f"Сходство голоса с записями: {result.similarity.synthetic:.2f}"
            + (f" (записи между собой: {ceiling:.2f})" if ceiling is not None else "")
        )
    click.echo(f"Контрольная точка: {result.checkpoint}")
    click.echo(
        'Послушать: kiosk say "Привет!" -o hi.wav --engine trained '
        f'--checkpoint {result.checkpoint} (в настройках: voice.engine = "trained")'
    )
    if result.eval_samples:
        click.echo(f"Пробная запись: {result.eval_samples[-1]}")


@voice.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def list_voices(app: AppContext, as_json: bool) -> None:
    """Enrolled voices: usable minutes, consent, training plans and checkpoints."""
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
                "checkpoints": sorted(p.parent.name for p in folder.glob("train-*/last.pt")),
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
            + (f", обучение: {', '.join(row['checkpoints'])}" if row["checkpoints"] else "")
        )
