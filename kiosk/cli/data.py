"""``kiosk data``: export, purge old history, or wipe everything stored about the child."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiosk.cli.context import AppContext, pass_app
from kiosk.cli.memory import plural_ru, write_json

__all__ = ["data"]

_YES = {"да", "д", "yes", "y"}


@click.group()
def data() -> None:
    """Все данные о ребёнке: выгрузить, удалить старые разговоры или стереть всё."""


def _confirm_or_exit(question: str) -> None:
    """Ask in Russian; anything but «да» (or no answer at all) leaves the data and exits 1."""
    try:
        answer = click.prompt(question, default="нет", show_default=False)
    except click.Abort:
        answer = "нет"
    if answer.strip().lower() not in _YES:
        click.echo("Ничего не стёрто.")
        sys.exit(1)


@data.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Файл JSON (по умолчанию — вывести на экран).",
)
@pass_app
def export_data(app: AppContext, output: Path | None) -> None:
    """Выгрузить в JSON все разговоры, факты и историю настроек."""
    from kiosk.store import Store

    with Store.open(app.paths.database) as store:
        everything = store.export_all()
    write_json(everything, output)
    if output is not None:
        conversations = everything["conversations"]
        turns = sum(len(c["turns"]) for c in conversations)
        click.echo(
            f"Сохранено в {output}: "
            f"{plural_ru(len(conversations), 'разговор', 'разговора', 'разговоров')}, "
            f"{plural_ru(turns, 'реплика', 'реплики', 'реплик')}, "
            f"{plural_ru(len(everything['facts']), 'факт', 'факта', 'фактов')}"
        )


@data.command("wipe")
@click.option("--yes", is_flag=True, help="Не спрашивать подтверждения.")
@pass_app
def wipe_data(app: AppContext, yes: bool) -> None:
    """Стереть все разговоры и всё, что Аня помнит о ребёнке (настройки останутся)."""
    from kiosk.store import Store

    if not yes:
        _confirm_or_exit(
            "Стереть все разговоры и всё, что Аня помнит о ребёнке? "
            "Настройки останутся. Отменить это нельзя. [да/нет]"
        )
    with Store.open(app.paths.database) as store:
        counts = store.wipe_child_data()
    click.echo(
        "Стёрто: "
        f"{plural_ru(counts['conversations'], 'разговор', 'разговора', 'разговоров')}, "
        f"{plural_ru(counts['turns'], 'реплика', 'реплики', 'реплик')}, "
        f"{plural_ru(counts['facts'], 'факт', 'факта', 'фактов')}. Настройки сохранены."
    )


@data.command("purge")
@click.option(
    "--days",
    type=click.IntRange(0, 3650),
    default=None,
    help="Хранить разговоры за столько дней (по умолчанию general.retention_days).",
)
@click.option("--yes", is_flag=True, help="Не спрашивать подтверждения.")
@pass_app
def purge_data(app: AppContext, days: int | None, yes: bool) -> None:
    """Стереть разговоры старше N дней (факты в памяти Ани останутся)."""
    from kiosk.store import Store

    if days is None:
        days = app.settings.general.retention_days
    if days == 0:
        click.echo(
            "Нечего удалять: срок хранения не задан (general.retention_days = 0, "
            "разговоры хранятся всегда). Укажите --days N или задайте срок в настройках."
        )
        return
    period = plural_ru(days, "дня", "дней", "дней")  # "старше 1 дня / 5 дней"
    if not yes:
        _confirm_or_exit(
            f"Стереть разговоры старше {period}? "
            "Факты в памяти Ани останутся. Отменить это нельзя. [да/нет]"
        )
    with Store.open(app.paths.database) as store:
        counts = store.purge_older_than(days)
    if counts["conversations"] == 0:
        click.echo(f"Разговоров старше {period} нет — ничего не стёрто.")
        return
    click.echo(
        f"Стёрто старше {period}: "
        f"{plural_ru(counts['conversations'], 'разговор', 'разговора', 'разговоров')}, "
        f"{plural_ru(counts['turns'], 'реплика', 'реплики', 'реплик')}. "
        "Факты в памяти сохранены."
    )
