"""``kiosk persona``: list the characters, show one, switch the active one."""

from __future__ import annotations

import json

import click

from kiosk.cli.context import AppContext, pass_app

__all__ = ["persona"]


@click.group()
def persona() -> None:
    """Персонажи: список, описание, выбор активного."""


@persona.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Every valid persona; the active one is marked with *."""
    from kiosk.brain.persona import list_personas

    active = app.settings.general.persona
    personas = list_personas(app.paths)
    if as_json:
        rows = [
            {"id": p.id, "name": p.name, "age": p.age, "active": p.id == active} for p in personas
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not personas:
        click.echo("Персонажей нет: переустановите kiosk (content/personas).")
        return
    for p in personas:
        mark = "*" if p.id == active else " "
        traits = ", ".join(p.character[:3])
        click.echo(f"{mark} {p.id:<12} {p.name}, {p.age}" + (f" — {traits}" if traits else ""))
    if active not in {p.id for p in personas}:
        click.secho(f"Активный персонаж {active!r} не найден.", fg="yellow", err=True)


@persona.command("show")
@click.argument("name", required=False)
@click.option("--prompt", "with_prompt", is_flag=True, help="Also print the LLM system prompt.")
@pass_app
def show(app: AppContext, name: str | None, with_prompt: bool) -> None:
    """Describe persona NAME (default: the active one)."""
    from kiosk.brain.persona import load_persona, system_prompt

    p = load_persona(name or app.settings.general.persona, app.paths)
    rows = [
        ("Имя", f"{p.name} ({p.id}), {p.age}"),
        ("Характер", ", ".join(p.character)),
        ("Интересы", ", ".join(p.interests)),
        ("Как говорит", ", ".join(p.speech_style)),
        ("Приветствие", p.greeting),
        ("Прощание", p.farewell),
        ("Голос", p.voice),
        ("Аватар", p.avatar),
        ("Любимые темы", ", ".join(p.allowed_topics)),
        ("Избегает", ", ".join(p.blocked_topics)),
    ]
    for label, value in rows:
        if value:
            click.echo(f"{label + ':':<14} {value}")
    if with_prompt:
        click.echo("\n" + system_prompt(p))


@persona.command("use")
@click.argument("name")
@pass_app
def use(app: AppContext, name: str) -> None:
    """Make persona NAME the active one (written to the config file)."""
    from kiosk.admin.config_edit import apply_settings, config_target
    from kiosk.brain.persona import load_persona

    chosen = load_persona(name, app.paths)  # PersonaError (with the list) when unknown
    if chosen.id == app.settings.general.persona:
        click.echo(f"{chosen.name} уже активный персонаж.")
        return
    apply_settings(app.settings, {"general.persona": chosen.id})
    click.echo(
        f"Теперь с ребёнком говорит {chosen.name} (записано в {config_target(app.settings)}). "
        "Перезапустите kiosk, чтобы сменить персонажа в работающей службе."
    )
