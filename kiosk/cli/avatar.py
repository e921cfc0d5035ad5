"""``kiosk avatar``: turn a photo into a talking avatar, and look at it."""

from __future__ import annotations

import re
import statistics
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
    threads = app.settings.avatar.enhance_threads or None
    with _Progress() as progress:
        done = prepare_avatar(
            photo, app.paths.avatars_dir, name, consent, enhance, progress, threads
        )
    face = done.aligned
    for warning in done.warnings:
        click.secho(f"Внимание: {warning}", fg="yellow")
    click.echo(f"Аватар «{name}» готов: {done.folder}")
    detail = f"лицо {face.native_px:.0f} пикс."
    if face.enhanced:
        detail += f", улучшено Real-ESRGAN за {face.enhance_s:.1f} с"
    click.echo(f"  {detail}; всего {time.monotonic() - started:.1f} с")
    click.echo(f'  Включить: в kiosk.toml [avatar] photo_asset = "{name}"')


@avatar.command()
@click.option(
    "--asset",
    "--name",
    "name",
    default=None,
    help="Prepared photo asset to show (default: the configured one, else the drawn face).",
)
@click.option(
    "--sheet",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a contact sheet PNG: states, mouth shapes, emotions, blinks, gaze.",
)
@click.option(
    "--strip",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a PNG strip of frames from a talking clip.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="MP4 talking clip (or a .png contact sheet, like --sheet).",
)
@click.option("--side", type=click.IntRange(128, 1024), default=None, help="Sheet cell, pixels.")
@click.option("--text", default="Привет! Я Аня. Давай поговорим?", help="What the clip says.")
@pass_app
def preview(
    app: AppContext,
    name: str | None,
    sheet: Path | None,
    strip: Path | None,
    out: Path | None,
    side: int | None,
    text: str,
) -> None:
    """Contact sheet (PNG), talking clip (MP4) and its frame strip (PNG) of the avatar.

    Without options: the contact sheet at <data>/out/avatar-preview.png.
    """
    from kiosk.avatar import make_renderer

    clip: Path | None = None
    if out is not None:
        if out.suffix.lower() == ".png":
            if sheet is not None:
                raise click.BadParameter("лист уже задан в --sheet", param_hint="--out")
            sheet = out
        elif out.suffix.lower() == ".mp4":
            clip = out
        else:
            raise click.BadParameter("нужен файл .png или .mp4", param_hint="--out")
    for path, flag in ((sheet, "--sheet"), (strip, "--strip")):
        if path is not None and path.suffix.lower() != ".png":
            raise click.BadParameter("нужен файл .png", param_hint=flag)
    if sheet is None and clip is None and strip is None:
        sheet = app.paths.output_dir / "avatar-preview.png"
    settings = app.settings.avatar
    if name:
        settings = settings.model_copy(update={"photo_asset": name})
        _check_asset(app, name)
    if sheet is not None:
        from kiosk.avatar.sheet import contact_sheet, save_png

        cell = settings.model_copy(update={"size": side or settings.size})
        save_png(contact_sheet(make_renderer(cell, app.paths.avatars_dir)).surface, sheet)
        click.echo(f"Лист с кадрами: {sheet}")
    if clip is not None or strip is not None:
        renderer = make_renderer(settings, app.paths.avatars_dir)
        _clip(app, renderer, clip, strip, text)


def _check_asset(app: AppContext, name: str) -> None:
    """A clear error for an asset name that was never prepared (not a silent drawn face)."""
    from kiosk.avatar.photo.asset import list_assets

    folder = Path(name).expanduser()
    if folder.is_absolute() or (folder / "asset.toml").is_file():
        return
    known = list_assets(app.paths.avatars_dir)
    if name not in known:
        have = ", ".join(known) if known else "нет ни одного"
        raise click.ClickException(
            f"Аватар «{name}» не подготовлен (есть: {have}); сделайте: kiosk avatar prepare ФОТО"
        )


def _clip(
    app: AppContext, renderer: object, clip: Path | None, strip: Path | None, text: str
) -> None:
    """Say ``text`` with the configured voice, render the face saying it, measure A/V sync.

    The mouth follows the voice's own lip-sync timeline (``render_speech_clip``);
    ``strip`` gets frames of the spoken part.
    """
    import tempfile

    from kiosk.audio.wav import write_wav
    from kiosk.avatar.base import AvatarRenderer
    from kiosk.avatar.sheet import decode_frames, frame_strip, save_png
    from kiosk.avatar.sync import measure_av_offset
    from kiosk.avatar.video import render_speech_clip
    from kiosk.events import LipSyncTrack
    from kiosk.voice import make_synthesizer, speak

    assert isinstance(renderer, AvatarRenderer)
    speech = speak(make_synthesizer(app.settings.voice, app.paths), text, "happy")
    if speech is None:
        raise click.ClickException("Нечего сказать: текст пустой")
    lead = 0.4  # the face listens a moment before it speaks
    track = speech.track
    pad = round(lead * track.rate)
    track = LipSyncTrack(
        track.rate,
        (0.0,) * pad + tuple(track.openness),
        tuple((start + pad / track.rate, label) for start, label in track.visemes),
    )
    silence = b"\0\0" * round(pad / track.rate * speech.sample_rate)
    with tempfile.TemporaryDirectory(prefix="kiosk-clip-") as tmp:
        wav = Path(tmp) / "speech.wav"
        write_wav(wav, silence + speech.pcm, speech.sample_rate)
        video = clip or Path(tmp) / "clip.mp4"
        fps = app.settings.avatar.fps
        render_speech_clip(renderer, wav, video, fps, "happy", track=track)
        mouth = _mouth_region(renderer)
        if clip is not None:
            click.echo(f"Ролик: {clip} ({speech.duration + lead:.1f} с, {fps} кадр/с)")
            if mouth is not None:
                offset = measure_av_offset(clip, mouth)
                # The median word onset: the worst one is naturally late on м/б/п, where
                # the lips are rightly closed until the vowel.
                onsets = (
                    f"начала слов: медиана {statistics.median(offset.onset_ms):+.0f} мс"
                    if offset.onset_ms
                    else "начал слов не найдено"
                )
                click.echo(
                    f"Рассинхрон звука и губ: {offset.xcorr_ms:+.0f} мс (взаимная корреляция; "
                    f"норма ≤ 40 мс), {onsets} (кадр {offset.frame_ms:.0f} мс)"
                )
        if strip is not None and mouth is not None:
            frames = decode_frames(video)
            span = (round(lead * fps), round((lead + speech.duration) * fps))
            save_png(frame_strip(frames, mouth, span=span), strip)
            click.echo(f"Кадры ролика: {strip}")


def _mouth_region(renderer: object) -> tuple[int, int, int, int] | None:
    region = getattr(renderer, "mouth_region", None)
    return region() if callable(region) else None
