"""``kiosk memory``: what Аня remembers about the child — list, add, pin, forget, export."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.context import AppContext, pass_app

if TYPE_CHECKING:
    from kiosk.store import Fact

__all__ = ["memory", "memory_markdown", "plural_ru", "write_json"]


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """``n`` with the Russian plural form of a noun: 1 факт, 2 факта, 5 фактов."""
    tail = n % 100
    if 11 <= tail <= 14:
        form = many
    elif n % 10 == 1:
        form = one
    elif 2 <= n % 10 <= 4:
        form = few
    else:
        form = many
    return f"{n} {form}"


def write_json(data: Any, output: Path | None) -> None:
    """Print ``data`` as JSON, or write it to ``output`` atomically (readable by owner only)."""
    from kiosk.paths import atomic_write_text

    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        atomic_write_text(output, text)
    except OSError as exc:
        raise click.ClickException(
            f"Не удаётся записать {output}: {exc.strerror or exc}. Укажите другой файл (-o)."
        ) from exc


@click.group()
def memory() -> None:
    """Что Аня помнит о ребёнке: список, добавить, закрепить, забыть, выгрузить."""


@memory.command("list")
@click.option("--json", "as_json", is_flag=True, help="Вывести JSON.")
@click.option("--all", "show_all", is_flag=True, help="Также забытые факты.")
@pass_app
def list_facts(app: AppContext, as_json: bool, show_all: bool) -> None:
    """Факты о ребёнке: сначала закреплённые, потом по важности."""
    from kiosk.store import Store

    with Store.open(app.paths.database) as store:
        facts = store.facts(include_forgotten=show_all)
    if as_json:
        write_json([f.to_dict() for f in facts], None)
        return
    if not facts:
        click.echo("Аня пока ничего не помнит о ребёнке.")
        click.echo('Добавить факт: kiosk memory add "Любит кошек"')
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Что помнит Аня", title_justify="left")
    for column in ("№", "закреплён", "важность", "тема", "факт"):
        table.add_column(column, overflow="fold")
    for fact in facts:
        text = f"[strike]{fact.text}[/strike] (забыт)" if fact.forgotten else fact.text
        table.add_row(
            str(fact.id),
            "да" if fact.pinned else "",
            f"{fact.priority:.2f}",
            fact.category,
            text,
        )
    Console().print(table)


@memory.command("add")
@click.argument("text")
@click.option("--category", default="general", show_default=True, help="Тема факта.")
@click.option(
    "--priority",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="Важность от 0 до 1.",
)
@click.option("--pin", is_flag=True, help="Закрепить: факт всегда попадает в разговор.")
@pass_app
def add_fact(app: AppContext, text: str, category: str, priority: float, pin: bool) -> None:
    """Добавить факт о ребёнке (например: "Любит кошек")."""
    from kiosk.store import Store

    if not text.strip():
        raise click.BadParameter("нужен текст факта", param_hint="TEXT")
    with Store.open(app.paths.database) as store:
        fact_id = store.add_fact(text, category=category, priority=priority, pinned=pin)
    click.echo(f"Аня запомнила (№{fact_id}{', закреплён' if pin else ''}): {text.strip()}")


@memory.command("forget")
@click.argument("fact_id", metavar="ID", type=click.IntRange(min=1))
@pass_app
def forget_fact(app: AppContext, fact_id: int) -> None:
    """Забыть факт (номер из kiosk memory list)."""
    from kiosk.store import Store

    with Store.open(app.paths.database) as store:
        store.forget_fact(fact_id)
        fact = store.fact(fact_id)
    click.echo(f"Аня забыла №{fact.id}: {fact.text}")
    click.echo("Совсем стереть всё о ребёнке: kiosk data wipe")


@memory.command("pin")
@click.argument("fact_id", metavar="ID", type=click.IntRange(min=1))
@click.option("--off", is_flag=True, help="Снять закрепление.")
@pass_app
def pin_fact(app: AppContext, fact_id: int, off: bool) -> None:
    """Закрепить факт (с --off — открепить)."""
    from kiosk.store import Store

    with Store.open(app.paths.database) as store:
        store.pin_fact(fact_id, pinned=not off)
        fact = store.fact(fact_id)
    state = "откреплён" if off else "закреплён"
    click.echo(f"Факт №{fact.id} {state}: {fact.text}")


_CATEGORY_TITLES = {
    "name": "Имя",
    "age": "Возраст",
    "likes": "Любит",
    "dislikes": "Не любит",
    "friends": "Друзья",
    "family": "Семья",
    "school": "Школа",
    "worries": "Тревоги",
    "plans": "Планы",
    "general": "Разное",
}
"""Markdown section titles per fact category (others are shown as they are)."""


def memory_markdown(facts: Sequence[Fact], summaries: Sequence[tuple[int, str]]) -> str:
    """What Аня remembers as Markdown: facts by category (📌 pinned), then summaries."""
    lines = ["# Что Аня помнит о ребёнке", ""]
    if not facts:
        lines += ["Пока ничего.", ""]
    by_category: dict[str, list[Fact]] = {}
    for fact in facts:
        by_category.setdefault(fact.category, []).append(fact)
    for category, items in by_category.items():
        lines += [f"## {_CATEGORY_TITLES.get(category, category)}", ""]
        for fact in items:
            marks = (" 📌" if fact.pinned else "") + (" (забыт)" if fact.forgotten else "")
            when = fact.updated_at.astimezone().strftime("%d.%m.%Y")
            lines.append(f"- {fact.text}{marks} — №{fact.id}, {when}")
        lines.append("")
    if summaries:
        lines += ["## Недавние разговоры", ""]
        lines += [f"- Разговор №{cid}: {text}" for cid, text in summaries]
        lines.append("")
    return "\n".join(lines)


@memory.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Файл (по умолчанию — вывести на экран).",
)
@click.option("--all", "show_all", is_flag=True, help="Также забытые факты.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "md"]),
    default="json",
    show_default=True,
    help="JSON для программ или Markdown для чтения.",
)
@pass_app
def export_facts(app: AppContext, output: Path | None, show_all: bool, fmt: str) -> None:
    """Выгрузить факты (и краткое содержание разговоров) в JSON или Markdown."""
    from kiosk.paths import atomic_write_text
    from kiosk.store import Store

    with Store.open(app.paths.database) as store:
        facts = store.facts(include_forgotten=show_all)
        summaries = store.recent_summaries(limit=20)
    if fmt == "json":
        write_json(
            {
                "format": "kiosk-memory",
                "facts": [f.to_dict() for f in facts],
                "summaries": [{"conversation_id": c, "summary": s} for c, s in summaries],
            },
            output,
        )
    elif output is None:
        click.echo(memory_markdown(facts, summaries), nl=False)
    else:
        try:
            atomic_write_text(output, memory_markdown(facts, summaries))
        except OSError as exc:
            raise click.ClickException(
                f"Не удаётся записать {output}: {exc.strerror or exc}. Укажите другой файл (-o)."
            ) from exc
    if output is not None:
        click.echo(f"Сохранено в {output}: {plural_ru(len(facts), 'факт', 'факта', 'фактов')}")
