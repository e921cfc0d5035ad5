"""``kiosk chat``: a text conversation with the same brain the daemon uses.

Interactive mode shows Аня's emotion as an emoji after each reply (the label set is
``kiosk.brain.emotion.EMOTIONS``; ``neutral`` shows none) and, with ``--history N``,
the last turns of the previous conversation before the greeting.
"""

from __future__ import annotations

import asyncio
import json
import sys

import click

from kiosk.cli.context import AppContext, pass_app
from kiosk.daemon.assemble import Core, open_core
from kiosk.daemon.pipeline import TurnResult, TurnRunner
from kiosk.events import UserText

__all__ = ["EMOTION_EMOJI", "chat", "format_reply"]

_QUIT = {"выход", "пока!", "/quit", "/exit", "exit", "quit"}

EMOTION_EMOJI: dict[str, str] = {
    "happy": "😊",
    "sad": "😢",
    "surprised": "😮",
    "thinking": "🤔",
    "excited": "🤩",
    "calm": "😌",
    "concern": "😟",
}
"""Emoji shown after a reply for each emotion label; ``neutral`` (and unknown) shows none."""


def format_reply(name: str, reply: str, emotion: str) -> str:
    """One line of the chat: ``Аня: текст 😊`` (none for neutral or when already there)."""
    emoji = EMOTION_EMOJI.get(emotion, "")
    if emoji and not reply.rstrip().endswith(emoji):
        return f"{name}: {reply} {emoji}"
    return f"{name}: {reply}"


def _result_json(result: TurnResult, persona: str) -> str:
    return json.dumps(
        {
            "persona": persona,
            "input": result.user_text,
            "reply": result.reply,
            "sentences": result.sentences,
            "emotion": result.emotion,
            "mood": result.mood,
            "engine": result.engine,
            "safety": result.safety,
            "timings_ms": result.timings,
            "conversation_id": result.conversation_id,
            "turn_ids": [result.child_turn_id, result.avatar_turn_id],
        },
        ensure_ascii=False,
    )


async def _one_turn(runner: TurnRunner, text: str) -> TurnResult:
    return await runner.run(UserText(text=text, source="text"))


def _runner(core: Core) -> TurnRunner:
    return TurnRunner(
        core.brain,
        core.store,
        persona_id=core.persona.id,
        source="text",
        child_name=core.settings.general.child_name,
        history_turns=core.settings.brain.history_turns,
    )


@click.command()
@click.option("--once", "once", metavar="TEXT", help="Say one thing, print the answer, exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (with timings).")
@click.option(
    "--history",
    "history",
    type=click.IntRange(0, 200),
    default=0,
    show_default=True,
    metavar="N",
    help="Show the last N turns of the previous conversation on start (interactive mode).",
)
@pass_app
def chat(app: AppContext, once: str | None, as_json: bool, history: int) -> None:
    """Talk to the persona by text (the same brain, memory and safety as by voice)."""
    core = open_core(app.settings, app.paths)
    try:
        runner = _runner(core)
        if once is not None:
            if not once.strip():
                raise click.BadParameter("пустое сообщение", param_hint="--once")
            result = asyncio.run(_one_turn(runner, once.strip()))
            if as_json:
                click.echo(_result_json(result, core.persona.id))
            else:
                click.echo(f"{core.persona.name}: {result.reply}")
            runner.close()
            return
        _interactive(core, runner, as_json, history)
    finally:
        core.close()


def _show_history(core: Core, runner: TurnRunner, count: int) -> None:
    """Print the last ``count`` turns of the conversation before this one, if any."""
    previous = next(
        (
            c
            for c in core.store.conversations(limit=10)
            if c.id != runner.conversation_id and c.turn_count > 0
        ),
        None,
    )
    if previous is None:
        click.echo("(Прошлых разговоров пока нет.)")
        return
    started = previous.started_at.astimezone().strftime("%d.%m.%Y %H:%M")
    click.echo(f"── Прошлый разговор, {started} ──")
    for turn in core.store.recent_turns(count, previous.id):
        if turn.role == "avatar":
            click.echo(format_reply(core.persona.name, turn.text, turn.emotion))
        else:
            click.echo(f"Ты: {turn.text}")
    click.echo("── Сейчас ──")


def _interactive(core: Core, runner: TurnRunner, as_json: bool, history: int = 0) -> None:
    name = core.persona.name
    if not as_json:
        click.echo(f"Разговор с {name} ({core.brain.engine_name}). Выход: Ctrl+D или «выход».")
        if history:
            _show_history(core, runner, history)
        click.echo(f"{name}: {core.persona.greeting}")
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                line = input("Ты: " if not as_json and sys.stdin.isatty() else "")
            except EOFError:
                break
            text = line.strip()
            if not text:
                continue
            if text.lower() in _QUIT:
                break
            result = loop.run_until_complete(_one_turn(runner, text))
            click.echo(
                _result_json(result, core.persona.id)
                if as_json
                else format_reply(name, result.reply, result.emotion)
            )
    finally:
        loop.close()
        runner.close()
