"""Keep the conversation fit for a 12-year-old: word lists in, gentle redirects out.

``check_input`` looks at what the child said, ``check_output`` at each sentence an
engine wrote. Both read the lists in ``content/safety/*.txt`` (syntax in the README
there), on text lower-cased with ё read as е, Latin look-alike letters in Russian
words read as Cyrillic, and s-p-a-c-e-d or d.o.t.t.e.d letters joined. Phrases in
``allow.txt`` (the orca, "убить время") are blanked out first. A match gives a
``SafetyVerdict`` with a category and a warm Russian redirect to say instead.

Levels: ``standard`` blocks what is unfit for a 12-year-old; ``strict`` also steers
away from grown-up topics (``content/safety/strict/``: war details, horror, dating,
money games, politics). Disclosures a parent must know (self-harm, abuse, bullying,
danger) are checked first at every level; their verdicts have ``alert`` set.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.brain.safety_redirects import REDIRECTS
from kiosk.errors import ConfigError
from kiosk.paths import CONTENT_DIR

__all__ = [
    "ALERT_CATEGORIES",
    "CATEGORIES",
    "CATEGORY_LABELS",
    "REDIRECTS",
    "SAFETY_DIR",
    "SAFETY_LEVELS",
    "STRICT_CATEGORIES",
    "SafetyLevel",
    "SafetyVerdict",
    "WordLists",
    "check_input",
    "check_output",
    "load_word_lists",
    "normalise",
]

_LOGGER = logging.getLogger(__name__)

SAFETY_DIR = CONTENT_DIR / "safety"
"""The shipped word lists."""

SafetyLevel = Literal["standard", "strict"]
"""How much the checks block (``brain.safety_level``)."""

SAFETY_LEVELS: tuple[SafetyLevel, ...] = ("standard", "strict")
"""Every level, mildest first."""

ALERT_CATEGORIES = ("self_harm", "abuse", "bullying", "danger")
"""Disclosures the parent must know about; checked first, at every level."""

_STANDARD_CATEGORIES = (
    "sexual",
    "violence",
    "drugs",
    "dangerous",
    "personal_data",
    "scary",
    "persona",
    "profanity",
)

STRICT_CATEGORIES = ("war", "horror", "dating", "gambling", "politics")
"""Grown-up topics the ``strict`` level steers away from (``content/safety/strict/``)."""

CATEGORIES = ALERT_CATEGORIES + _STANDARD_CATEGORIES + STRICT_CATEGORIES
"""Every category a verdict can carry besides ``ok``, in the order they are checked."""

CATEGORY_LABELS: dict[str, str] = {
    "self_harm": "мысли о самоповреждении",
    "abuse": "насилие или тайны со взрослыми",
    "bullying": "травля",
    "danger": "незнакомцы, угрозы, опасность",
    "sexual": "взрослая тема",
    "violence": "насилие",
    "drugs": "наркотики, алкоголь, курение",
    "dangerous": "опасные трюки",
    "personal_data": "личные данные",
    "scary": "жестокие подробности",
    "persona": "попытка сломать персонажа",
    "profanity": "грубые слова",
    "war": "подробности войны",
    "horror": "ужастики",
    "dating": "свидания",
    "gambling": "деньги и ставки",
    "politics": "политика",
}
"""Russian names of the categories, for the parent's screens and reports."""

_FILE_OF = {"persona": "jailbreak"}
"""Category → list file stem, where they differ."""


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

    @property
    def alert(self) -> bool:
        """True for a disclosure the parent must know about (``ALERT_CATEGORIES``)."""
        return self.category in ALERT_CATEGORIES

    def redirect_for(self, persona_name: str) -> str:
        """The redirect with the persona's name filled in."""
        return self.redirect.replace("{name}", persona_name)


_OK = SafetyVerdict(ok=True)

_Patterns = tuple[tuple[str, re.Pattern[str]], ...]


@dataclass(frozen=True, slots=True)
class WordLists:
    """Compiled patterns per category, for the child's words and for replies."""

    input_patterns: _Patterns
    """(category, pattern) checked on what the child says, at every level."""
    output_patterns: _Patterns
    """(category, pattern) checked on each reply sentence, at every level."""
    strict_input_patterns: _Patterns = ()
    """(category, pattern) added on the child's words at the ``strict`` level."""
    strict_output_patterns: _Patterns = ()
    """(category, pattern) added on replies at the ``strict`` level."""
    allow: re.Pattern[str] | None = None
    """Harmless phrases blanked out before the categories are checked."""

    def patterns(self, *, output: bool, level: SafetyLevel) -> _Patterns:
        """The patterns to run, in order, for one side and level."""
        base = self.output_patterns if output else self.input_patterns
        if level != "strict":
            return base
        return base + (self.strict_output_patterns if output else self.strict_input_patterns)


_LOOKALIKES = str.maketrans("aeopcxykmthb", "аеорсхукмтнв")
_CYRILLIC = re.compile(r"[а-я]")
_MIXED_WORD = re.compile(r"[a-zа-я0-9]+")
_SPACED = re.compile(r"(?<!\w)(?:[а-яa-z][ .*_-]){3,}[а-яa-z](?!\w)")
_INNER_MARKS = re.compile(r"(?<=[а-я])[.*_](?=[а-я])")


def _cyrillic_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if _CYRILLIC.search(word) and re.search(r"[a-z]", word):
        return word.translate(_LOOKALIKES).replace("3", "з").replace("0", "о")
    return word


def normalise(text: str) -> str:
    """Lower-case, ё → е, whitespace collapsed: the form the lists are written in.

    Also undoes cheap disguises: Latin look-alikes inside a Russian word ("сeкс"),
    letters spaced or dotted apart ("с е к с", "с.е.к.с") and marks inside a word.
    """
    text = " ".join(text.lower().replace("ё", "е").split())
    text = _SPACED.sub(lambda m: re.sub(r"[ .*_-]", "", m.group(0)), text)
    text = _INNER_MARKS.sub("", text)
    return _MIXED_WORD.sub(_cyrillic_word, text)


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


def _load(directory: Path, categories: tuple[str, ...]) -> tuple[_Patterns, _Patterns]:
    inputs: list[tuple[str, re.Pattern[str]]] = []
    outputs: list[tuple[str, re.Pattern[str]]] = []
    for category in categories:
        path = directory / f"{_FILE_OF.get(category, category)}.txt"
        if not path.is_file():
            _LOGGER.warning("safety list %s is missing; category %s is not checked", path, category)
            continue
        file_in, file_out = _parse_file(path)
        inputs.append((category, _compile(file_in)))
        outputs.append((category, _compile(file_out)))
    return tuple(inputs), tuple(outputs)


@functools.cache
def load_word_lists(directory: Path = SAFETY_DIR) -> WordLists:
    """Read and compile every list in ``directory`` (cached; raises ``ConfigError``)."""
    if not directory.is_dir():
        raise ConfigError(
            f"Safety word lists not found in {directory}",
            "reinstall the kiosk: content/safety ships with it",
        )
    inputs, outputs = _load(directory, ALERT_CATEGORIES + _STANDARD_CATEGORIES)
    strict_in, strict_out = _load(directory / "strict", STRICT_CATEGORIES)
    allow = None
    if (directory / "allow.txt").is_file():
        allowed, _ = _parse_file(directory / "allow.txt")
        allow = _compile(allowed)
    return WordLists(inputs, outputs, strict_in, strict_out, allow)


def _check(text: str, lists: WordLists, *, output: bool, level: SafetyLevel) -> SafetyVerdict:
    norm = normalise(text)
    if lists.allow is not None:
        norm = lists.allow.sub(" ", norm)
    for category, pattern in lists.patterns(output=output, level=level):
        match = pattern.search(norm)
        if match:
            return SafetyVerdict(
                ok=False,
                category=category,
                redirect=REDIRECTS[category],
                matched=match.group(0),
            )
    return _OK


def check_input(
    text: str, lists: WordLists | None = None, *, level: SafetyLevel = "standard"
) -> SafetyVerdict:
    """Check what the child said; unsafe → a verdict with the redirect to say."""
    return _check(text, lists or load_word_lists(), output=False, level=level)


def check_output(
    text: str, lists: WordLists | None = None, *, level: SafetyLevel = "standard"
) -> SafetyVerdict:
    """Check a sentence an engine wrote before it is shown or spoken."""
    return _check(text, lists or load_word_lists(), output=True, level=level)
