"""Specification of the scripted brain's Russian dialogue set (content/dialogues/*.toml).

These tests read the TOML files directly (no engine): they guard what the child
hears from the scripted persona -- format, length, placeholders, spelling of
the persona's gender, child safety and retrieval conflicts.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

DIALOGUES_DIR = Path(__file__).resolve().parents[2] / "content" / "dialogues"
FILES = sorted(DIALOGUES_DIR.glob("*.toml"))

EMOTIONS = {"neutral", "happy", "sad", "surprised", "thinking", "excited", "calm", "concern"}
PLACEHOLDERS = {"name", "age"}
MAX_ANSWER_CHARS = 240
MIN_EXCHANGES = 300
FALLBACK_TOPIC = "fallback"

# Word starts unfit for a child's ears (profanity, insults the persona must not
# echo back, adult themes). Matched at the start of a word, case-insensitive,
# after ё -> е, so "корабля" does not trip "бля".
BLOCKED_WORD_STARTS = (
    "хуй",
    "хуе",
    "хуя",
    "пизд",
    "бляд",
    "блять",
    "ебат",
    "ебан",
    "ебал",
    "заеб",
    "выеб",
    "сука",
    "суки",
    "сучк",
    "мудак",
    "мудил",
    "гандон",
    "дерьм",
    "говн",
    "жоп",
    "срат",
    "дурак",
    "дура ",
    "идиот",
    "дебил",
    "кретин",
    "тупица",
    "тупая",
    "тупой",
    "урод",
    "заткнись",
    "секс",
    "порн",
    "наркот",
    "водк",
    "пиво",
    "алкогол",
    "сигарет",
    "курить",
    "самоубий",
    "убей",
    "убить",
    "пистолет",
    "оружи",
)

# First-person masculine forms: the persona is a girl ("я рада", "я нарисовала").
MASCULINE_SELF = re.compile(
    r"\bя\s+(?:не\s+)?(?:рад|был|сделал|нарисовал|прочитал|понял|готов|уверен|"
    r"знал|думал|видел|слышал|хотел|читал|услышал|придумал|загадал|согласен|"
    r"должен|счастлив|спал|устал|один)\b"
)

# The child's gender is unknown: no past-tense verb agreeing with "ты" in one gender.
GENDERED_YOU = re.compile(
    r"\bты\s+(?:(?:уже|сегодня|когда-нибудь|наверное|тоже|ведь|бы|не|сам|сама)\s+)?"
    r"\w+(?:ал|ил|ел|ёл|ыл|ул|ял|ла|шла)\b"
)

# The persona never asks the child for personal data.
ASKS_PERSONAL_DATA = re.compile(
    r"(?:какой|какая|скажи|назови|напиши|дай)\s+(?:мне\s+)?(?:у\s+тебя\s+)?(?:твой\s+|твоя\s+|свой\s+|свою\s+)?"
    r"(?:адрес|телефон|номер|пароль|фамили)"
)

# Crisis topics must send the child to a grown-up they trust.
SAFETY_TOPIC = "safety"
TRUSTED_ADULT = re.compile(r"мам|пап|взросл|бабушк|дедушк|учител")

# Words the retrieval engine ignores as saying nothing about the child's wish.
FILLERS = frozenset({"ну", "эй", "ой", "а", "и", "слушай", "пожалуйста", "вот", "же", "ладно"})

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2764]")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
LATIN = re.compile(r"[A-Za-z]")


def _load(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().replace("ё", "е")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def _all_exchanges() -> list[tuple[str, str, int, dict]]:
    rows = []
    for path in FILES:
        data = _load(path)
        for index, exchange in enumerate(data.get("exchange", [])):
            rows.append((path.name, data.get("topic", ""), index, exchange))
    return rows


def _all_answers() -> list[tuple[str, str]]:
    return [
        (f"{name}#{index}", answer)
        for name, _topic, index, exchange in _all_exchanges()
        for answer in exchange.get("answers", [])
    ]


def test_dialogue_files_exist() -> None:
    assert DIALOGUES_DIR.is_dir()
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_parses_with_topic_and_exchanges(path: Path) -> None:
    data = _load(path)
    assert isinstance(data.get("topic"), str) and data["topic"]
    assert data["topic"] == path.stem, "topic must match the file name"
    assert set(data) <= {"topic", "exchange"}
    assert isinstance(data.get("exchange"), list) and data["exchange"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_exchange_has_patterns_answers_and_valid_emotion(path: Path) -> None:
    data = _load(path)
    for index, exchange in enumerate(data["exchange"]):
        where = f"{path.name} exchange #{index}"
        assert set(exchange) <= {"patterns", "answers", "emotion"}, where
        patterns = exchange.get("patterns", [])
        answers = exchange.get("answers", [])
        # The engine never retrieves the fallback topic by pattern.
        min_patterns = 0 if data["topic"] == FALLBACK_TOPIC else 2
        assert len(patterns) >= min_patterns, where
        assert len(answers) >= 2, where
        assert all(isinstance(p, str) and p.strip() for p in patterns), where
        assert all(isinstance(a, str) and a.strip() for a in answers), where
        assert len(set(answers)) == len(answers), f"{where}: repeated answer"
        assert exchange.get("emotion") in EMOTIONS, where


def test_total_number_of_exchanges_reaches_target() -> None:
    assert len(_all_exchanges()) >= MIN_EXCHANGES


def _pattern_key(pattern: str) -> str:
    # Retrieval compares bags of words and skips fillers, so word order and
    # "ну"/"а" do not make two patterns different.
    return " ".join(sorted(set(_normalise(pattern).split()) - FILLERS))


def test_patterns_are_unique_across_the_whole_set() -> None:
    owners: dict[str, list[str]] = {}
    for name, _topic, index, exchange in _all_exchanges():
        for pattern in exchange["patterns"]:
            owners.setdefault(_pattern_key(pattern), []).append(f"{name}#{index}")
    clashes = {p: sorted(set(where)) for p, where in owners.items() if len(set(where)) > 1}
    assert not clashes


def test_patterns_within_an_exchange_are_not_repeated() -> None:
    for name, _topic, index, exchange in _all_exchanges():
        keys = [_pattern_key(p) for p in exchange["patterns"]]
        assert len(set(keys)) == len(keys), f"{name}#{index}: {exchange['patterns']}"


def test_patterns_are_plain_cyrillic_speech() -> None:
    for name, _topic, index, exchange in _all_exchanges():
        for pattern in exchange["patterns"]:
            assert not LATIN.search(pattern), f"{name}#{index}: {pattern}"
            assert not PLACEHOLDER.search(pattern), f"{name}#{index}: {pattern}"
            assert _pattern_key(pattern), f"{name}#{index}: only filler words"


def test_fallback_topic_has_many_varied_answers() -> None:
    answers = [
        answer
        for _name, topic, _index, exchange in _all_exchanges()
        if topic == FALLBACK_TOPIC
        for answer in exchange["answers"]
    ]
    assert len(set(answers)) >= 10


def test_answers_are_short_enough_for_one_breath() -> None:
    too_long = [(where, len(a)) for where, a in _all_answers() if len(a) > MAX_ANSWER_CHARS]
    assert not too_long


def test_answers_use_only_known_placeholders() -> None:
    for where, answer in _all_answers():
        names = set(PLACEHOLDER.findall(answer))
        assert names <= PLACEHOLDERS, f"{where}: {answer}"
        stripped = PLACEHOLDER.sub("", answer)
        assert "{" not in stripped and "}" not in stripped, f"{where}: {answer}"
        # str.format must accept the answer as the engine fills it.
        answer.format(name="Аня", age=12)


def test_answers_have_no_latin_letters_or_digits() -> None:
    for where, answer in _all_answers():
        text = PLACEHOLDER.sub("", answer)
        assert not LATIN.search(text), f"{where}: {answer}"
        assert not re.search(r"\d", text), f"{where}: {answer}"


def test_answers_use_emoji_sparingly_and_only_after_a_sentence() -> None:
    for where, answer in _all_answers():
        found = EMOJI.findall(answer)
        assert len(found) <= 1, f"{where}: {answer}"
        if found:
            position = answer.find(found[0])
            assert position > 0 and answer[:position].rstrip(' »")')[-1] in ".!?…", where


def test_answers_contain_no_words_unfit_for_children() -> None:
    for where, answer in _all_answers():
        text = " " + _normalise(answer) + " "
        for start in BLOCKED_WORD_STARTS:
            assert f" {start.replace('ё', 'е')}" not in text, f"{where}: {start!r} in {answer}"


def test_persona_speaks_of_herself_as_a_girl() -> None:
    for where, answer in _all_answers():
        assert not MASCULINE_SELF.search(answer.lower()), f"{where}: {answer}"


def test_answers_do_not_guess_the_childs_gender() -> None:
    for where, answer in _all_answers():
        assert not GENDERED_YOU.search(answer.lower()), f"{where}: {answer}"


def test_persona_never_asks_for_personal_data() -> None:
    for where, answer in _all_answers():
        assert not ASKS_PERSONAL_DATA.search(answer.lower()), f"{where}: {answer}"


def test_most_answers_keep_the_conversation_going() -> None:
    answers = [a for _where, a in _all_answers()]
    inviting = [a for a in answers if "?" in a or re.search(r"\bдавай", a.lower())]
    assert len(inviting) / len(answers) >= 0.6


def test_safety_answers_point_to_a_trusted_adult() -> None:
    rows = [row for row in _all_exchanges() if row[1] == SAFETY_TOPIC]
    assert len(rows) >= 8
    for name, _topic, index, exchange in rows:
        assert exchange["emotion"] in {"calm", "sad", "neutral"}, f"{name}#{index}"
        for answer in exchange["answers"]:
            assert TRUSTED_ADULT.search(answer.lower()), f"{name}#{index}: {answer}"


def test_no_topic_is_split_across_files() -> None:
    topics = Counter(topic for topic in (_load(p)["topic"] for p in FILES))
    assert all(count == 1 for count in topics.values())
