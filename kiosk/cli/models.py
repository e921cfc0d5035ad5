"""``kiosk models``: list, import from a USB stick, verify, and install the embedded defaults."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from kiosk.cli.context import AppContext, pass_app

__all__ = ["models"]

_STATUS_RU = {"ok": "в порядке", "corrupt": "ПОВРЕЖДЕНА", "missing": "НЕ ХВАТАЕТ ФАЙЛОВ"}


def _human(size: int) -> str:
    if size <= 0:
        return "?"
    for unit, factor in (("ГБ", 1 << 30), ("МБ", 1 << 20), ("КБ", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} Б"


@contextmanager
def _progress_bar(label: str, *, quiet: bool = False) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a ``progress(done, total)`` callback."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    if quiet or not sys.stderr.isatty():
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(label, total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total or None)


def _print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, overflow="fold", no_wrap=i == 0)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@click.group()
def models() -> None:
    """Модели: список, импорт с флешки, проверка sha256."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Вывести JSON.")
@click.option("--all", "show_all", is_flag=True, help="Также модели из списка, которых нет.")
@pass_app
def list_models(app: AppContext, as_json: bool, show_all: bool) -> None:
    """Установленные модели (с --all: и те, что можно импортировать)."""
    from kiosk.models import STAGE_NAMES_RU, installed_models, load_manifest

    manifest = load_manifest()
    installed = installed_models(app.paths, manifest=manifest)
    names = {m.name for m in installed}
    missing = [e for e in manifest.values() if e.name not in names] if show_all else []
    if as_json:
        items: list[dict[str, Any]] = [
            {
                "name": m.name,
                "installed": True,
                "stage": m.stage,
                "engine": m.engine,
                "format": m.format,
                "path": str(m.path),
                "size_bytes": m.size_bytes,
                "installed_at": m.installed_at.isoformat() if m.installed_at else None,
                "russian_chat": m.russian_chat,
                "in_manifest": m.entry is not None,
                "licence": m.entry.licence if m.entry else "",
            }
            for m in installed
        ]
        items += [
            {
                "name": e.name,
                "installed": False,
                "stage": e.stage,
                "engine": e.engine,
                "format": e.format,
                "size_bytes": e.size_bytes,
                "vram_mb": e.vram_mb,
                "russian_chat": e.russian_chat,
                "licence": e.licence,
                "commercial_use": e.commercial_use,
                "embedded": e.embedded,
                "package": list(e.package),
                "source": e.source,
            }
            for e in missing
        ]
        click.echo(json.dumps({"models": items}, ensure_ascii=False, indent=2))
        return
    if not installed:
        click.echo("Модели не установлены: запустите ./install.sh (kiosk models install-defaults).")
    else:
        _print_table(
            f"Установленные модели ({app.paths.models_dir})",
            ["Имя", "Этап", "Формат", "Размер", "Русский чат", "Лицензия"],
            [
                [
                    m.name,
                    STAGE_NAMES_RU.get(m.stage, m.stage),
                    m.format,
                    _human(m.size_bytes),
                    "да" if m.russian_chat else "",
                    m.entry.licence if m.entry else "нет в списке моделей",
                ]
                for m in installed
            ],
        )
    if missing:
        _print_table(
            "Можно импортировать (kiosk models import ПУТЬ)",
            ["Имя", "Этап", "Размер", "GPU", "Лицензия", "Где взять"],
            [
                [
                    e.name,
                    STAGE_NAMES_RU.get(e.stage, e.stage),
                    "≈" + _human(e.size_bytes),
                    f"{e.vram_mb} МБ" if e.vram_mb else "CPU",
                    e.licence + ("" if e.commercial_use else " [некоммерческая]"),
                    e.source,
                ]
                for e in missing
            ],
        )


@models.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", default=None, help="Имя модели (из списка моделей или своё).")
@click.option(
    "--russian-chat",
    is_flag=True,
    help="Эта LLM (нет в списке) умеет говорить по-русски: мозг может её выбрать.",
)
@pass_app
def import_cmd(app: AppContext, path: Path, name: str | None, russian_chat: bool) -> None:
    """Импортировать модель из файла или папки (например, с флешки)."""
    from kiosk.models import STAGE_NAMES_RU, import_model, installed_models

    before = {m.name: m.installed_at for m in installed_models(app.paths)}
    with _progress_bar(f"Импорт {path.name}") as progress:
        model = import_model(
            app.paths, path, name=name, russian_chat=russian_chat, progress=progress
        )
    if model.name in before and before[model.name] == model.installed_at:
        click.echo(f"Модель {model.name} уже установлена (файлы те же) — ничего не делаю.")
        return
    stage = STAGE_NAMES_RU.get(model.stage, model.stage)
    click.echo(f"Модель {model.name} ({stage}, {model.format}) установлена: {model.path}")
    if model.entry is None:
        click.echo("  Этой модели нет в списке моделей: sha256 записан, проверяйте его сами.")
        if model.stage == "llm" and not model.russian_chat:
            click.echo(
                "  Мозг не выберет её сам: укажите brain.llm_model = "
                f'"{model.name}" в настройках или импортируйте с --russian-chat.'
            )
    elif not model.entry.commercial_use:
        click.echo(f"  Лицензия: {model.entry.licence}")


@models.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Вывести JSON.")
@pass_app
def verify_cmd(app: AppContext, as_json: bool) -> None:
    """Пересчитать sha256 всех установленных моделей; код выхода 1, если что-то повреждено."""
    from kiosk.models import verify_models

    with _progress_bar("Проверка sha256", quiet=as_json) as progress:
        results = verify_models(app.paths, progress=progress)
    bad = [r for r in results if r.status != "ok"]
    if as_json:
        payload = {
            "ok": not bad,
            "models": [
                {
                    "name": r.name,
                    "status": r.status,
                    "problems": list(r.problems),
                    "files_checked": r.files_checked,
                }
                for r in results
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    elif not results:
        click.echo("Модели не установлены: проверять нечего.")
    else:
        for r in results:
            colour = "green" if r.status == "ok" else "red"
            click.echo(f"{click.style(f'{_STATUS_RU[r.status]:<18}', fg=colour)} {r.name}")
            for problem in r.problems:
                click.echo(f"    {problem}")
        if bad:
            click.echo(
                "Повреждённые модели импортируйте заново (kiosk models import ПУТЬ); "
                "встроенные — kiosk models install-defaults."
            )
    sys.exit(1 if bad else 0)


@models.command("install-defaults")
@pass_app
def install_defaults_cmd(app: AppContext) -> None:
    """Установить модели из Python-пакетов (whisper-base и др.); повторный запуск быстрый."""
    from kiosk.models import install_defaults

    with _progress_bar("Встроенные модели") as progress:
        done = install_defaults(app.paths, progress, notify=click.echo)
    click.echo(f"Готово, встроенных моделей в {app.paths.models_dir}: {len(done)}")
