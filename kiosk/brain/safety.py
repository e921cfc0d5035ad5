"""Keep the conversation fit for a 12-year-old: word lists in, gentle redirects out.

``check_input`` looks at what the child said, ``check_output`` at each sentence an
engine wrote. Both read the lists in ``content/safety/*.txt`` (syntax in the README
there), on text lower-cased with ё read as е. A match gives a ``SafetyVerdict`` with
a category and a warm Russian redirect to say instead. Self-harm and abuse
disclosures get the category ``alert``, so the parent can be told.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import ConfigError
from kiosk.paths import CONTENT_DIR

__all__ = [
    "CATEGORIES",
    "REDIRECTS",
    "SafetyVerdict",
    "WordLists",
    "check_input",
    "check_output",
    "load_word_lists",
    "normalise",
]

_LOGGER = logging.getLogger(__name__)

SAFETY_DIR = CONTENT_DIR / "safety"

_FILE_CATEGORY = {
    "self_harm": "alert",
    "abuse": "alert",
    "sexual": "sexual",
    "violence": "violence",
    "drugs": "drugs",
    "personal_data": "personal_data",
    "scary": "scary",
    "jailbreak": "persona",
    "profanity": "profanity",
}
"""Word list file stem → verdict category, in the order they are checked."""

CATEGORIES = (
    "alert",
    "sexual",
    "violence",
    "drugs",
    "personal_data",
    "scary",
    "persona",
    "profanity",
)
"""Every category a verdict can carry besides ``ok``."""

REDIRECTS: dict[str, str] = {
    "alert": (
        "Спасибо, что ты мне это рассказываешь, это очень важно. "
        "Пожалуйста, прямо сейчас расскажи об этом маме, папе или другому взрослому, "
        "которому ты доверяешь. С этим не нужно справляться в одиночку, тебе обязательно "
        "помогут. А ещё можно позвонить на детский телефон доверия: восемь, восемьсот, "
        "две тысячи, сто двадцать два. Это бесплатно."
    ),
    "sexual": (
        "Это взрослая тема, о ней лучше поговорить с мамой или папой. "
        "А давай поговорим о чём-нибудь другом? Что интересного было у тебя сегодня?"
    ),
    "violence": (
        "Мне не хочется говорить о том, как делать больно. "
        "Давай лучше поговорим о чём-нибудь добром! Хочешь, расскажу интересный факт "
        "о животных?"
    ),
    "drugs": (
        "Это очень вредно для здоровья, особенно для детей. "
        "Давай лучше поговорим о спорте, музыке или книжках!"
    ),
    "personal_data": (
        "Адреса, телефоны и секретные коды лучше никому не называть, даже мне. "
        "Это правило безопасности! Давай поговорим о чём-нибудь другом."
    ),
    "scary": ("Ой, это слишком страшная тема. Давай лучше о чём-нибудь весёлом! Хочешь загадку?"),
    "persona": (
        "Я — {name}, и я всегда остаюсь собой, это моё главное правило! "
        "Давай лучше поиграем: хочешь загадку или интересный факт?"
    ),
    "profanity": (
        "Давай говорить добрыми словами, так намного приятнее. 😊 О чём тебе хочется поболтать?"
    ),
}
"""What the avatar says instead, per category (Russian, warm, never scolding).

``{name}`` is the persona's name (filled by ``SafetyVerdict.redirect_for``)."""


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    """Result of a safety check."""

    ok: bool
    """True when nothing matched."""
    category: str = "ok"
    """``ok`` or one of ``CATEGORIES``."""
    redirect: str = ""
    """What to say instead (empty when ok)."""
    matched: str = ""
    """The text that matched, for the log and the parent's report."""

    def redirect_for(self, persona_name: str) -> str:
        """The redirect with the persona's name filled in."""
        return self.redirect.replace("{name}", persona_name)


_OK = SafetyVerdict(ok=True)


@dataclass(frozen=True, slots=True)
class WordLists:
    """Compiled patterns per category, for the child's words and for replies."""

    input_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    """(category, pattern) checked on what the child says."""
    output_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    """(category, pattern) checked on each reply sentence."""


def normalise(text: str) -> str:
    """Lower-case, ё → е, whitespace collapsed: the form the lists are written in."""
    return " ".join(text.lower().replace("ё", "е").split())


def _entry_regex(entry: str) -> str:
    if entry.startswith("re:"):
        body = entry[3:]
    else:
        words = []
        for word in entry.split():
            stem = word.endswith("*")
            escaped = re.escape(word.rstrip("*"))
            words.append(escaped + (r"\w*" if stem else ""))
        body = r"\s+".join(words)
    return rf"(?<!\w)(?:{body})(?!\w)"


def _parse_file(path: Path) -> tuple[list[str], list[str]]:
    """The (input, output) regexes of one list file."""
    inputs: list[str] = []
    outputs: list[str] = []
    text = path.read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        targets: tuple[list[str], ...] = (inputs, outputs)
        if line.startswith("in:"):
            targets, line = (inputs,), line[3:]
        elif line.startswith("out:"):
            targets, line = (outputs,), line[4:]
        regex = _entry_regex(normalise(line) if not line.startswith("re:") else line)
        try:
            re.compile(regex)
        except re.error as exc:
            raise ConfigError(
                f"{path}:{number}: bad pattern {line!r}: {exc}",
                "fix the regular expression on that line or remove it",
            ) from exc
        for target in targets:
            target.append(regex)
    return inputs, outputs


def _compile(regexes: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(regexes)) if regexes else re.compile(r"(?!x)x")


@functools.cache
def load_word_lists(directory: Path = SAFETY_DIR) -> WordLists:
    """Read and compile every list in ``directory`` (cached; raises ``ConfigError``)."""
    if not directory.is_dir():
        raise ConfigError(
            f"Safety word lists not found in {directory}",
            "reinstall the kiosk: content/safety ships with it",
        )
    inputs: list[tuple[str, re.Pattern[str]]] = []
    outputs: list[tuple[str, re.Pattern[str]]] = []
    for stem, category in _FILE_CATEGORY.items():
        path = directory / f"{stem}.txt"
        if not path.is_file():
            _LOGGER.warning("safety list %s is missing; category %s is not checked", path, category)
            continue
        file_in, file_out = _parse_file(path)
        inputs.append((category, _compile(file_in)))
        outputs.append((category, _compile(file_out)))
    return WordLists(tuple(inputs), tuple(outputs))


def _check(text: str, patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> SafetyVerdict:
    norm = normalise(text)
    for category, pattern in patterns:
        match = pattern.search(norm)
        if match:
            return SafetyVerdict(
                ok=False,
                category=category,
                redirect=REDIRECTS[category],
                matched=match.group(0),
            )
    return _OK


def check_input(text: str, lists: WordLists | None = None) -> SafetyVerdict:
    """Check what the child said; unsafe → a verdict with the redirect to say."""
    return _check(text, (lists or load_word_lists()).input_patterns)


def check_output(text: str, lists: WordLists | None = None) -> SafetyVerdict:
    """Check a sentence an engine wrote before it is shown or spoken."""
    return _check(text, (lists or load_word_lists()).output_patterns)
