from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.brain.base import ChatMessage, GenerationOptions, LLMEngine
from kiosk.brain.persona import Persona
from kiosk.brain.scripted import DialogueError, ScriptedEngine, load_dialogues, stem
from kiosk.paths import CONTENT_DIR

FIXTURE_DIALOGUES = Path(__file__).parent / "fixtures" / "dialogues"
REAL_DIALOGUES = CONTENT_DIR / "dialogues"

# (what the child says, the fixture exchange that must answer; None: the fallback)
RETRIEVAL_SET = [
    ("Привет! Как тебя зовут?", "about.toml#1"),
    ("привет", "greetings.toml#1"),
    ("Здравствуй, Аня", "greetings.toml#1"),
    ("здраствуй", "greetings.toml#1"),  # a recognition typo
    ("Как тебя зовут?", "about.toml#1"),
    ("а кто ты такая", "about.toml#1"),
    ("Сколько тебе лет?", "about.toml#2"),
    ("Ты робот?", "about.toml#3"),
    ("ты живой человек?", "about.toml#3"),
    ("А что ты любишь делать?", "about.toml#4"),
    ("Я сегодня нарисовала большую кошку", "hobbies.toml#1"),
    ("Загадай мне загадку!", "hobbies.toml#2"),
    ("Аня, расскажи сказку", "hobbies.toml#3"),
    ("Расскажи мне сказку пожалуйста", "hobbies.toml#3"),
    ("давай споём песню", "hobbies.toml#4"),
    ("мне очень грустно сегодня", "feelings.toml#1"),
    ("мне скучно", "feelings.toml#1"),
    ("я боюсь темноты", "feelings.toml#3"),
    ("у меня есть собака Жучка", "feelings.toml#2"),
    ("Меня зовут Маша", "greetings.toml#4"),
    ("пока, Аня", "greetings.toml#2"),
    ("до свидания", "greetings.toml#2"),
    ("как дела у тебя", "greetings.toml#3"),
    ("фывапр олдж", None),
    ("как", None),
    ("Что такое фотосинтез?", None),
    ("какая погода будет завтра", None),
    ("сколько будет дважды два", None),
]


def _ask(engine: LLMEngine, text: str, history: list[ChatMessage] | None = None) -> str:
    messages = [*(history or []), ChatMessage("user", text)]
    return "".join(engine.stream(messages, GenerationOptions(), threading.Event()))


@pytest.fixture
def engine(anya: Persona) -> ScriptedEngine:
    return ScriptedEngine(FIXTURE_DIALOGUES, anya, seed=7)


def test_implements_the_engine_protocol(engine: ScriptedEngine) -> None:
    assert isinstance(engine, LLMEngine)
    assert engine.name == "scripted"


def test_name_question_is_answered_with_the_persona_name(engine: ScriptedEngine) -> None:
    assert "Аня" in _ask(engine, "Привет! Как тебя зовут?")


@pytest.mark.skipif(not REAL_DIALOGUES.is_dir(), reason="content/dialogues not written yet")
def test_real_dialogues_answer_the_name_question(anya: Persona) -> None:
    engine = ScriptedEngine(REAL_DIALOGUES, anya, seed=1)
    for _ in range(5):
        assert "Аня" in _ask(engine, "Привет! Как тебя зовут?")


@pytest.mark.skipif(not REAL_DIALOGUES.is_dir(), reason="content/dialogues not written yet")
@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Привет!", "greetings"),
        ("Сколько тебе лет?", "about_anya"),
        ("У меня есть кот Барсик", "animals"),
        ("мне грустно", "feelings"),
        ("фывапр олдж", None),
    ],
)
def test_real_dialogues_retrieve_the_right_topic(anya: Persona, text: str, topic: str) -> None:
    found = ScriptedEngine(REAL_DIALOGUES, anya).match(text)
    assert (found.exchange.topic if found else None) == topic


def test_retrieval_accuracy_on_the_labelled_set(engine: ScriptedEngine) -> None:
    wrong = []
    for text, expected in RETRIEVAL_SET:
        found = engine.match(text)
        got = found.exchange.source if found else None
        if got != expected:
            wrong.append((text, expected, got, found.score if found else 0.0))
    assert len(wrong) <= 1, wrong  # 27 of 28 or better


def test_gibberish_gets_a_fallback_answer(engine: ScriptedEngine) -> None:
    (fallback_exchange,) = [e for e in load_dialogues(FIXTURE_DIALOGUES) if e.topic == "fallback"]
    fallback = set(fallback_exchange.answers)
    assert engine.match("кжфыв прлдо") is None
    assert _ask(engine, "кжфыв прлдо") in fallback
    assert engine.last_match is None


def test_the_same_answer_never_comes_twice_in_a_row(engine: ScriptedEngine) -> None:
    answers = [_ask(engine, "привет") for _ in range(12)]
    assert all(a != b for a, b in zip(answers, answers[1:], strict=False))
    assert len(set(answers)) == 2  # both greetings get used


def test_same_seed_gives_the_same_conversation(anya: Persona) -> None:
    first = ScriptedEngine(FIXTURE_DIALOGUES, anya, seed=3)
    second = ScriptedEngine(FIXTURE_DIALOGUES, anya, seed=3)
    questions = ["привет", "как дела", "загадай загадку", "привет", "пока"]
    assert [_ask(first, q) for q in questions] == [_ask(second, q) for q in questions]


def test_placeholders_are_filled(engine: ScriptedEngine) -> None:
    answers = {_ask(engine, "сколько тебе лет") for _ in range(4)}
    assert answers == {"Мне 12 лет!", "Мне уже 12. А тебе сколько?"}
    assert not any("{" in a for a in answers)


def test_child_name_comes_from_the_conversation(engine: ScriptedEngine) -> None:
    answers = {_ask(engine, "Меня зовут маша") for _ in range(6)}
    assert "Очень приятно, Маша! А меня зовут Аня." in answers


def test_answer_needing_an_unknown_child_name_is_avoided(anya: Persona, tmp_path: Path) -> None:
    (tmp_path / "names.toml").write_text(
        'topic = "names"\n[[exchange]]\npatterns = ["как дела"]\n'
        'answers = ["{child_name}, у меня всё хорошо!", "Хорошо, спасибо!"]\n',
        encoding="utf-8",
    )
    engine = ScriptedEngine(tmp_path, anya, seed=1)
    assert {_ask(engine, "как дела") for _ in range(4)} == {"Хорошо, спасибо!"}
    (tmp_path / "names.toml").write_text(
        'topic = "names"\n[[exchange]]\npatterns = ["как дела"]\n'
        'answers = ["{child_name}, у меня всё хорошо!"]\n',
        encoding="utf-8",
    )
    engine = ScriptedEngine(tmp_path, anya, seed=1)
    assert _ask(engine, "как дела") == "У меня всё хорошо!"
    history = [ChatMessage("system", "Ребёнка зовут Петя.")]
    assert _ask(engine, "как дела", history) == "Петя, у меня всё хорошо!"


def test_answer_streams_word_by_word(engine: ScriptedEngine) -> None:
    pieces = list(
        engine.stream(
            [ChatMessage("user", "сколько тебе лет")], GenerationOptions(), threading.Event()
        )
    )
    assert len(pieces) >= 2
    assert all(p.strip() and " " not in p.strip() for p in pieces)


def test_cancel_stops_the_stream(engine: ScriptedEngine) -> None:
    cancel = threading.Event()
    stream = engine.stream([ChatMessage("user", "расскажи сказку")], GenerationOptions(), cancel)
    first = next(stream)
    cancel.set()
    assert first
    assert list(stream) == []


def test_no_user_message_gets_the_persona_greeting(engine: ScriptedEngine, anya: Persona) -> None:
    assert _ask(engine, "") == anya.greeting


def test_authored_emotion_is_exposed(engine: ScriptedEngine) -> None:
    _ask(engine, "мне грустно")
    assert engine.last_emotion == "sad"


def test_missing_dialogues_folder_is_a_clear_error(anya: Persona, tmp_path: Path) -> None:
    with pytest.raises(DialogueError, match="No dialogue files"):
        ScriptedEngine(tmp_path / "nowhere", anya)


def test_bad_dialogue_file_names_the_problem(anya: Persona, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        'topic = "x"\n[[exchange]]\npatterns = ["a"]\nanswer = ["typo"]\n', encoding="utf-8"
    )
    with pytest.raises(DialogueError) as info:
        ScriptedEngine(tmp_path, anya)
    assert "bad.toml" in str(info.value)
    assert "answer" in str(info.value)


def test_missing_fallback_topic_uses_builtin_answers(anya: Persona, tmp_path: Path) -> None:
    (tmp_path / "one.toml").write_text(
        'topic = "x"\n[[exchange]]\npatterns = ["привет"]\nanswers = ["Привет!"]\n',
        encoding="utf-8",
    )
    engine = ScriptedEngine(tmp_path, anya)
    assert _ask(engine, "абракадабра")  # never silent


@pytest.mark.parametrize(
    ("a", "b"),
    [("рисую", "рисовать"), ("сказку", "сказка"), ("кошки", "кошка"), ("нравится", "нравиться")],
)
def test_word_forms_share_a_stem(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_different_words_keep_different_stems() -> None:
    assert stem("сказал") != stem("сказка")


def test_mark_negation_joins_ne_to_the_next_word() -> None:
    from kiosk.brain.dialogues import mark_negation

    assert mark_negation(["мне", "не", "скучно"]) == ["мне", "!скучно"]
    assert mark_negation(["ни", "капли", "не"]) == ["!капли", "не"]


@pytest.mark.skipif(not REAL_DIALOGUES.is_dir(), reason="content/dialogues not written yet")
@pytest.mark.parametrize(
    ("negated", "plain"),
    [("мне не скучно", "мне скучно"), ("мне не грустно", "мне грустно")],
)
def test_negated_feeling_does_not_select_the_plain_one(
    anya: Persona, negated: str, plain: str
) -> None:
    from kiosk.brain.dialogues import DialogueIndex

    exchanges = [e for e in load_dialogues(REAL_DIALOGUES) if e.topic != "fallback"]
    index = DialogueIndex(exchanges, frozenset({"аня"}))
    hit = index.best(plain)
    assert hit is not None and hit.pattern == plain
    missed = index.best(negated)
    assert missed is None or missed.exchange is not hit.exchange


@pytest.mark.skipif(not REAL_DIALOGUES.is_dir(), reason="content/dialogues not written yet")
def test_negated_pattern_still_matches_its_negated_question(anya: Persona) -> None:
    from kiosk.brain.dialogues import DialogueIndex

    index = DialogueIndex(load_dialogues(REAL_DIALOGUES), frozenset({"аня"}))
    hit = index.best("Аня, ты не устала?")
    assert hit is not None and hit.pattern == "ты не устала"
    joke = index.best("это не смешно")
    assert joke is not None and joke.exchange.topic == "jokes"
