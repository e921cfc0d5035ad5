"""Keep the conversation fit for a 12-year-old: word lists in, gentle redirects out.

``check_input`` looks at what the child said, ``check_output`` at each sentence an
engine wrote. Both read the lists in ``content/safety/*.txt`` (syntax in the README
there), on text lower-cased with ё read as е, Latin look-alike letters in Russian
words read as Cyrillic, and s-p-a-c-e-d or d.o.t.t.e.d letters joined. Phrases in
``allow.txt`` (the orca, "убить время") are blanked out first. Plain entries and
``~`` entries are also matched on the lemmas of the text ("набить морду" →
``набить морда``; pymorphy3 via ``kiosk.brain.morph``, cached per word), so one
entry covers every inflected form. A match gives a ``SafetyVerdict`` with a category
and a warm Russian redirect to say instead. Topics the parent blocks in the persona
(``blocked_topics``) are enforced when the caller passes them (``topics=``).

Levels: ``standard`` blocks what is unfit for a 12-year-old; ``strict`` also steers
away from grown-up topics (``content/safety/strict/``: war details, horror, dating,
money games, politics). Disclosures a parent must know (self-harm, abuse, bullying,
danger) are checked first at every level; their verdicts have ``alert`` set.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.brain.morph import lemma
from kiosk.brain.safety_redirects import REDIRECTS
from kiosk.brain.safety_topics import TopicFilter, compile_topics
from kiosk.errors import ConfigError
from kiosk.paths import CONTENT_DIR

__all__ = [
    "ALERT_CATEGORIES",
    "CATEGORIES",
    "CATEGORY_LABELS",
    "REDIRECTS",
    "SAFETY_DIR",
    "SAFETY_LEVELS",
    "STANDARD_CATEGORIES",
    "STRICT_CATEGORIES",
    "SafetyLevel",
    "SafetyVerdict",
    "TOPIC_CATEGORY",
    "TopicFilter",
    "WordLists",
    "check_input",
    "check_output",
    "compile_topics",
    "lemmatise",
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

STANDARD_CATEGORIES = (
    "sexual",
    "violence",
    "drugs",
    "dangerous",
    "personal_data",
    "scary",
    "persona",
    "profanity",
)
"""What the ``standard`` level blocks besides the alerts (``content/safety/*.txt``)."""

STRICT_CATEGORIES = ("war", "horror", "dating", "gambling", "politics")
"""Grown-up topics the ``strict`` level steers away from (``content/safety/strict/``)."""

TOPIC_CATEGORY = "topic"
"""Category of a topic the parent blocked in the persona (``blocked_topics``)."""

CATEGORIES = ALERT_CATEGORIES + STANDARD_CATEGORIES + STRICT_CATEGORIES + (TOPIC_CATEGORY,)
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
    "topic": "тема, закрытая родителями",
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

_Patterns = tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...]
"""(category, pattern on the normalised text, pattern on its lemmas or None)."""


@dataclass(frozen=True, slots=True)
class WordLists:
    """Compiled patterns per category, for the child's words and for replies."""

    input_patterns: _Patterns
    """Checked on what the child says, at every level."""
    output_patterns: _Patterns
    """Checked on each reply sentence, at every level."""
    strict_input_patterns: _Patterns = ()
    """Added on the child's words at the ``strict`` level."""
    strict_output_patterns: _Patterns = ()
    """Added on replies at the ``strict`` level."""
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


_LEMMA_WORD = re.compile(r"[а-я]+(?:-[а-я]+)*")
_LEMMA_TOKEN = re.compile(r"[а-яa-z0-9]+(?:-[а-яa-z0-9]+)*|[.!?]")


def lemmatise(norm: str) -> str:
    """``norm`` (already ``normalise``d) as lemmas: "хочу набить морду" → "хотеть набить морда".

    Words are joined by single spaces; commas, dashes and quotes are dropped and
    sentence ends (``.!?``) kept, so ``~`` entries need not allow for punctuation
    inside a sentence. Lemmas come from ``kiosk.brain.morph.lemma`` (cached per word).
    """
    return " ".join(
        lemma(token) if _LEMMA_WORD.fullmatch(token) else token
        for token in _LEMMA_TOKEN.findall(norm)
    )


def _entry_regex(entry: str, *, lemmas: bool = False) -> str:
    """Regex of one list entry; ``lemmas``: its plain words turned into their lemmas."""
    if entry.startswith("re:"):
        body = entry[3:]
    else:
        words = []
        for word in entry.split():
            stem = word.endswith("*")
            bare = word.rstrip("*")
            if lemmas and not stem:
                bare = lemmatise(bare)
            words.append(re.escape(bare) + (r"\w*" if stem else ""))
        body = r"\s+".join(words)
    return f"(?:{body})"


_Regexes = tuple[list[str], list[str], list[str], list[str]]


def _parse_file(path: Path) -> _Regexes:
    """The (input, output, input-lemma, output-lemma) regexes of one list file.

    A plain entry goes to both the surface and the lemma lists; ``~entry`` (words
    written as lemmas, or ``~re:`` on the lemma text) only to the lemma lists;
    ``re:`` only to the surface lists.
    """
    regexes: _Regexes = ([], [], [], [])
    text = path.read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sides: tuple[int, ...] = (0, 1)
        if line.startswith("in:"):
            sides, line = (0,), line[3:]
        elif line.startswith("out:"):
            sides, line = (1,), line[4:]
        compiled: list[tuple[int, str]] = []
        if line.startswith("~"):
            line = line[1:]
            body = line if line.startswith("re:") else normalise(line)
            compiled += [(2 + side, _entry_regex(body)) for side in sides]
        elif line.startswith("re:"):
            compiled += [(side, _entry_regex(line)) for side in sides]
        else:
            body = normalise(line)
            compiled += [(side, _entry_regex(body)) for side in sides]
            compiled += [(2 + side, _entry_regex(body, lemmas=True)) for side in sides]
        for target, regex in compiled:
            try:
                re.compile(rf"(?<!\w){regex}(?!\w)")
            except re.error as exc:
                raise ConfigError(
                    f"{path}:{number}: bad pattern {raw.strip()!r}: {exc}",
                    "fix the regular expression on that line or remove it",
                ) from exc
            regexes[target].append(regex)
    return regexes


def _whole_words(regexes: list[str]) -> re.Pattern[str]:
    # One word-boundary test for all entries: positions inside a word fail at once
    # instead of once per entry (several times faster on a whole list).
    return re.compile(rf"(?<!\w)(?:{'|'.join(dict.fromkeys(regexes))})(?!\w)")


def _compile(regexes: list[str]) -> re.Pattern[str]:
    return _whole_words(regexes) if regexes else re.compile(r"(?!x)x")


def _compile_lemmas(regexes: list[str]) -> re.Pattern[str] | None:
    return _whole_words(regexes) if regexes else None


def _load(directory: Path, categories: tuple[str, ...]) -> tuple[_Patterns, _Patterns]:
    inputs: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = []
    outputs: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = []
    for category in categories:
        path = directory / f"{_FILE_OF.get(category, category)}.txt"
        if not path.is_file():
            _LOGGER.warning("safety list %s is missing; category %s is not checked", path, category)
            continue
        file_in, file_out, lemma_in, lemma_out = _parse_file(path)
        inputs.append((category, _compile(file_in), _compile_lemmas(lemma_in)))
        outputs.append((category, _compile(file_out), _compile_lemmas(lemma_out)))
    return tuple(inputs), tuple(outputs)


@functools.cache
def load_word_lists(directory: Path = SAFETY_DIR) -> WordLists:
    """Read and compile every list in ``directory`` (cached; raises ``ConfigError``)."""
    if not directory.is_dir():
        raise ConfigError(
            f"Safety word lists not found in {directory}",
            "reinstall the kiosk: content/safety ships with it",
        )
    inputs, outputs = _load(directory, ALERT_CATEGORIES + STANDARD_CATEGORIES)
    strict_in, strict_out = _load(directory / "strict", STRICT_CATEGORIES)
    allow = None
    if (directory / "allow.txt").is_file():
        allow = _compile(_parse_file(directory / "allow.txt")[0])
    return WordLists(inputs, outputs, strict_in, strict_out, allow)


def _check(
    text: str,
    lists: WordLists,
    *,
    output: bool,
    level: SafetyLevel,
    topics: Sequence[str] = (),
    model: bool = False,
) -> SafetyVerdict:
    norm = normalise(text)
    if lists.allow is not None:
        norm = lists.allow.sub(" ", norm)
    lemma_text: str | None = None
    for category, pattern, lemma_pattern in lists.patterns(output=output, level=level):
        match = pattern.search(norm)
        if match is None and lemma_pattern is not None:
            if lemma_text is None:
                lemma_text = lemmatise(norm)
            match = lemma_pattern.search(lemma_text)
        if match:
            return SafetyVerdict(
                ok=False,
                category=category,
                redirect=REDIRECTS[category],
                matched=match.group(0),
            )
    if topics:
        if lemma_text is None:
            lemma_text = lemmatise(norm)
        topic = compile_topics(tuple(topics)).match(set(_WORDS.findall(lemma_text)))
        if topic:
            return SafetyVerdict(
                ok=False, category=TOPIC_CATEGORY, redirect=REDIRECTS[TOPIC_CATEGORY], matched=topic
            )
    if model:
        return _second_opinion(text)
    return _OK


def _second_opinion(text: str) -> SafetyVerdict:
    """The learned classifier's verdict (``kiosk.brain.safety_model``); ok when it is absent."""
    from kiosk.brain.safety_model import load_model  # numpy; avoids a circular import

    fitted = load_model()
    if fitted is None or len(_WORDS.findall(normalise(text))) < 3:
        return _OK  # two words give the model too little to go on; the lists cover them
    category, probability = fitted.predict(text)
    if category == "ok":
        return _OK
    return SafetyVerdict(
        ok=False,
        category=category,
        redirect=REDIRECTS[category],
        matched=f"model:{category}:{probability:.2f}",
    )


_WORDS = re.compile(r"[а-яa-z0-9]+(?:-[а-яa-z0-9]+)*")


def check_input(
    text: str,
    lists: WordLists | None = None,
    *,
    level: SafetyLevel = "standard",
    topics: Sequence[str] = (),
    model: bool = True,
) -> SafetyVerdict:
    """Check what the child said; unsafe → a verdict with the redirect to say.

    ``topics`` are the persona's ``blocked_topics``: a match gives the ``topic``
    category and a gentle in-character change of subject. ``model`` (``brain.safety_model``)
    asks the learned classifier when the lists and topics found nothing; its verdicts
    have ``matched`` = ``"model:<category>:<probability>"``.
    """
    return _check(
        text, lists or load_word_lists(), output=False, level=level, topics=topics, model=model
    )


def check_output(
    text: str,
    lists: WordLists | None = None,
    *,
    level: SafetyLevel = "standard",
    topics: Sequence[str] = (),
) -> SafetyVerdict:
    """Check a sentence an engine wrote before it is shown or spoken (``topics`` as above)."""
    return _check(text, lists or load_word_lists(), output=True, level=level, topics=topics)
