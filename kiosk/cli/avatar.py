"""``kiosk avatar``: turn a photo into a talking avatar, and look at it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli.context import AppContext, pass_app

if TYPE_CHECKING:
    from rich.progress import TaskID

__all__ = ["CONSENT_TEXT", "avatar"]

CONSENT_TEXT = (
    "Эта фотография станет лицом говорящего аватара: программа найдёт на ней лицо\n"
    "и будет его анимировать (рот, глаза, эмоции). Фото и аватар хранятся только\n"
    "на этом устройстве и никуда не отправляются; удалить их можно командой\n"
    "kiosk data wipe или удалив папку аватара.\n"
    "Подтвердите, что вы родитель или законный представитель человека на фото\n"
    "и согласны на создание его анимированного изображения."
)
"""What the guardian reads before a photo becomes an avatar."""


def _default_name(photo: Path) -> str:
    name = re.sub(r"[^\w-]+", "-", photo.stem, flags=re.UNICODE).strip("-.")
    return name or "photo"


class _Progress:
    """One rich progress bar per stage, driven by ``(stage, fraction)`` calls."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _Progress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, stage: str, fraction: float) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage.capitalize(), total=1.0)
        self._bar.update(self._tasks[stage], completed=fraction)


@click.group()
def avatar() -> None:
    """Photo → avatar asset; preview."""


@avatar.command()
@click.argument("photo", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", default=None, help="Asset name (default: the photo's file name).")
@click.option("--yes", is_flag=True, help="The guardian has agreed already (skip the question).")
@click.option(
    "--enhance/--no-enhance",
    default=None,
    help="Force Real-ESRGAN on or off (default: only for a small or blurry face).",
)
@pass_app
def prepare(
    app: AppContext, photo: Path, name: str | None, yes: bool, enhance: bool | None
) -> None:
    """Make a talking avatar from PHOTO (one face, looking at the camera)."""
    from kiosk.avatar.photo.asset import asset_dir
    from kiosk.avatar.photo.prepare import prepare_avatar

    name = name or _default_name(photo)
    try:
        asset_dir(app.paths.avatars_dir, name)
    except ValueError:
        raise click.BadParameter(f"имя «{name}» не подходит: буквы, цифры, - и _") from None
    if yes:
        consent = "--yes"
    else:
        click.echo(CONSENT_TEXT)
        if not click.confirm("Согласны?", default=False):
            raise click.ClickException("Без согласия аватар не создан; ничего не записано.")
        consent = "prompt"
    started = time.monotonic()
    with _Progress() as progress:
        done = prepare_avatar(
            photo, app.paths.avatars_dir, name, consent, enhance=enhance, progress=progress
        )
    face = done.aligned
    click.echo(f"Аватар «{name}» готов: {done.folder}")
    detail = f"лицо {face.native_px:.0f} пикс."
    if face.enhanced:
        detail += f", улучшено Real-ESRGAN за {face.enhance_s:.1f} с"
    click.echo(f"  {detail}; всего {time.monotonic() - started:.1f} с")
    click.echo(f'  Включить: в kiosk.toml [avatar] photo_asset = "{name}"')


@avatar.command()
@click.option("--name", default=None, help="Asset to show (default: the configured one).")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="PNG contact sheet or MP4 clip (default: <data>/out/avatar-preview.png).",
)
@click.option("--text", default="Привет! Я Аня. Давай поговорим?", help="What the clip says.")
@pass_app
def preview(app: AppContext, name: str | None, out: Path | None, text: str) -> None:
    """A contact sheet (PNG) or a short talking clip (MP4) of the avatar."""
    from kiosk.avatar import make_renderer

    settings = app.settings.avatar
    if name:
        settings = settings.model_copy(update={"photo_asset": name})
    renderer = make_renderer(settings, app.paths.avatars_dir)
    out = out or app.paths.output_dir / "avatar-preview.png"
    if out.suffix.lower() == ".mp4":
        _clip(app, renderer, out, text)
    elif out.suffix.lower() == ".png":
        from kiosk.avatar.photo.sheet import save_photo_sheet

        save_photo_sheet(renderer, out)
    else:
        raise click.BadParameter("нужен файл .png или .mp4", param_hint="--out")
    click.echo(f"Готово: {out}")


def _clip(app: AppContext, renderer: object, out: Path, text: str) -> None:
    """Say ``text`` with the configured voice and render the face saying it."""
    from kiosk.audio.wav import write_wav
    from kiosk.avatar.animator import Animator
    from kiosk.avatar.base import AvatarRenderer
    from kiosk.avatar.video import render_video
    from kiosk.events import State
    from kiosk.voice import make_synthesizer, speak

    assert isinstance(renderer, AvatarRenderer)
    speech = speak(make_synthesizer(app.settings.voice, app.paths), text, "happy")
    if speech is None:
        raise click.ClickException("Нечего сказать: текст пустой")
    lead = 0.4
    wav = out.with_suffix(".wav")
    pad = b"\0\0" * round(lead * speech.sample_rate)
    write_wav(wav, pad + speech.pcm, speech.sample_rate)
    animator = Animator(seed=3)
    animator.set_state(State.LISTENING, at=0.0)
    animator.set_state(State.SPEAKING, at=lead)
    animator.add_speech(lead, speech.track, "happy")
    try:
        render_video(
            animator,
            renderer,
            out,
            lead + speech.duration + 0.5,
            app.settings.avatar.fps,
            audio_wav=wav,
        )
    finally:
        wav.unlink(missing_ok=True)
