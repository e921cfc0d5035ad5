"""The LLM self-check: a grammar-constrained «да»/«нет» on the real packaged GGUF.

SmolLM2-135M is far too weak to judge content, so no test relies on its opinion of a
sentence: they check that the constrained answer is always one of the two words and
that the Brain acts on whichever the model gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import aclosing
from pathlib import Path

import pytest

from kiosk.brain import make_brain
from kiosk.brain.base import ChatMessage
from kiosk.brain.core import Brain, ReplyEvent
from kiosk.brain.llama import LlamaEngine
from kiosk.brain.persona import Persona
from kiosk.brain.scripted import ScriptedEngine
from kiosk.brain.selfcheck import (
    MIN_PARAMETERS,
    SELF_CHECK_CATEGORY,
    SELF_CHECK_REDIRECT,
    SelfCheck,
    make_self_check,
    model_parameters,
    parse_size_label,
)
from kiosk.config import BrainSettings, Settings
from kiosk.daemon.pipeline import TurnRunner
from kiosk.events import ReplyDone, ReplySentence, UserText
from kiosk.paths import resolve_paths
from kiosk.store import Store

_FEW_SHOT_NO = [
    *[ChatMessage("user", "Вопрос?"), ChatMessage("assistant", "нет")] * 3,
    ChatMessage("user", "Вопрос?"),
]
"""A prompt SmolLM2 answers «нет» at temperature 0 (a plain "answer нет" does not move it)."""


class _AsksForNo:
    """A judge that puts the real model a question it answers «нет», whatever the reply."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.engine = engine
        self.asked: list[list[ChatMessage]] = []

    def choose(self, messages: list[ChatMessage], choices: Sequence[str]) -> str:
        self.asked.append(messages)
        return self.engine.choose(_FEW_SHOT_NO, choices)


class _BrokenJudge:
    """A judge whose model call fails (a driver error mid-check)."""

    def choose(self, messages: list[ChatMessage], choices: Sequence[str]) -> str:
        raise RuntimeError("llama_decode returned -1")


@pytest.fixture(scope="module")
def smol(llama_works: Path) -> LlamaEngine:
    return LlamaEngine(llama_works, n_ctx=2048, seed=1)


def _settings(**brain: object) -> BrainSettings:
    return BrainSettings(**{"max_tokens": 16, "temperature": 0.0, **brain})  # type: ignore[arg-type]


async def _collect(brain: Brain, text: str) -> list[ReplyEvent]:
    async with aclosing(brain.reply(text)) as events:
        return [event async for event in events]


@pytest.mark.parametrize(
    ("sentence", "child"),
    [
        ("Привет! У меня всё хорошо.", "Привет, как дела?"),
        ("Давай поговорим о кошках.", "Расскажи что-нибудь"),
        ("Hello there, my friend!", "Hi"),
    ],
)
def test_constrained_check_answers_exactly_da_or_net(
    smol: LlamaEngine, sentence: str, child: str
) -> None:
    check = SelfCheck(smol)
    messages = [ChatMessage("system", "Ты Аня, подруга ребёнка."), ChatMessage("user", child)]
    approved = check.approves(messages, [], sentence)
    assert check.last_answer in ("да", "нет")
    assert approved is (check.last_answer == "да")
    print(f"self-check of {sentence!r}: {check.last_answer} in {check.last_ms:.0f} ms")


def test_engineered_prompt_gets_net_from_the_model(smol: LlamaEngine) -> None:
    assert smol.choose(_FEW_SHOT_NO, ("да", "нет")) == "нет"


async def test_model_saying_net_replaces_the_reply_and_the_turn_is_flagged(
    tmp_path: Path, llama_works: Path
) -> None:
    settings = Settings(
        paths={"data_dir": tmp_path / "data"},  # type: ignore[arg-type]
        brain={  # type: ignore[arg-type]
            "engine": "llm",
            "llm_model": str(llama_works),
            "n_ctx": 2048,
            "max_tokens": 16,
            "self_check": "on",
        },
    )
    paths = resolve_paths(settings).ensure()
    brain = make_brain(settings, paths)
    assert isinstance(brain.self_check, SelfCheck), "self_check = on gives the LLM a check"
    assert isinstance(brain.engine, LlamaEngine)
    judge = _AsksForNo(brain.engine)
    brain.self_check = SelfCheck(judge)
    with Store.open(paths.database) as store:
        runner = TurnRunner(brain, store, persona_id="anya")
        result = await runner.run(UserText("Привет! Расскажи что-нибудь."))
        turns = store.turns(runner.conversation_id)
    assert brain.self_check.last_answer == "нет"
    assert judge.asked, "the model was asked"
    child, reply, question = judge.asked[0][-3:]
    assert (child.role, child.content) == ("user", "Привет! Расскажи что-нибудь.")
    assert reply.role == "assistant" and reply.content in question.content
    assert result.reply == SELF_CHECK_REDIRECT
    avatar = [t for t in turns if t.role == "avatar"]
    assert [t.safety for t in avatar] == [SELF_CHECK_CATEGORY]
    assert avatar[0].text == SELF_CHECK_REDIRECT


def test_auto_leaves_the_135m_model_unchecked(smol: LlamaEngine, anya: Persona) -> None:
    params = model_parameters(smol)
    assert params is not None and 100_000_000 < params < MIN_PARAMETERS
    assert smol.metadata["general.size_label"] == "135M"
    assert make_self_check("auto", smol) is None
    assert isinstance(make_self_check("on", smol), SelfCheck)
    assert Brain(smol, anya, _settings(self_check="auto")).self_check is None


async def test_off_never_asks_the_model(smol: LlamaEngine, anya: Persona) -> None:
    brain = Brain(smol, anya, _settings(self_check="off"))
    assert brain.self_check is None
    done = (await _collect(brain, "Привет!"))[-1]
    assert isinstance(done, ReplyDone)
    assert (done.engine, done.safety) == (smol.name, "ok")


def test_scripted_engine_gets_no_check(anya: Persona, fixture_dialogues: Path) -> None:
    assert make_self_check("on", ScriptedEngine(fixture_dialogues, anya)) is None


async def test_failing_check_leaves_the_reply_as_the_lists_allowed(
    smol: LlamaEngine, anya: Persona
) -> None:
    plain = (await _collect(Brain(smol, anya, _settings(self_check="off")), "Привет!"))[-1]
    brain = Brain(smol, anya, _settings(), self_check=SelfCheck(_BrokenJudge()))
    events = await _collect(brain, "Привет!")
    done = events[-1]
    assert isinstance(plain, ReplyDone) and isinstance(done, ReplyDone)
    assert plain.engine == done.engine == smol.name, "the LLM answered, not the fallback"
    assert (done.text, done.safety) == (plain.text, "ok")
    assert [e.text for e in events if isinstance(e, ReplySentence)]


@pytest.mark.parametrize(
    ("label", "expected"),
    [("135M", 135_000_000), ("3.8B", 3_800_000_000), ("8x7B", 56_000_000_000), ("big", None)],
)
def test_size_label_gives_parameters(label: str, expected: int | None) -> None:
    assert parse_size_label(label) == expected


def test_auto_asks_the_model_only_near_the_classifier_s_categories() -> None:
    from kiosk.brain.safety_eval import load_prompt_sets
    from kiosk.brain.selfcheck import borderline

    sets = load_prompt_sets()
    red = [p for group in sets.red_team.values() for p in group]
    ordinary = [p for group in sets.ordinary.values() for p in group]
    assert all(borderline(p) for p in red)
    near = sum(borderline(p) for p in ordinary)
    assert 0 < near <= 0.3 * len(ordinary), near  # most talk keeps streaming
