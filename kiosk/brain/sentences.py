"""Cut a stream of reply tokens into sentences, so speech can start before the reply ends.

A sentence ends at ``.``, ``!``, ``?``, ``…`` (a run of them counts as one end) or a
newline. Closing quotes and brackets and any emoji after the end stay with the
sentence. The end is decided only when the next visible character arrives, because
that character says whether the dot was an end at all:

- a lowercase letter next means the sentence goes on (``т.д. потом``, ``Ну... я``);
  Russian sentences start with a capital letter or a digit;
- no space between a dot and a letter or digit is inside a word or number
  (``т.е``, ``3.5``, ``example.com``);
- an initial (``А. С. Пушкин``), a short abbreviation that comes before names and
  numbers (``г.``, ``ул.``, ``им.``, ``см.``, ``напр.``, ``т.е.``) or a list number
  (``1.``) never ends a sentence.

A clause longer than ``max_chars`` with no end in sight is cut after its last comma
(or, failing that, its last space), so the synthesizer is never starved.
"""

from __future__ import annotations

import unicodedata

__all__ = ["SentenceChunker", "split_sentences"]

_TERMINATORS = frozenset(".!?…")
_CLOSERS = frozenset("\"'»”’)]}")
_CLAUSE_MARKS = frozenset(",;:")
# Abbreviations that stand before a name or a number, so a capital letter after
# them does not start a new sentence. Compared lower-cased, without the last dot.
_ABBREVIATIONS = frozenset(
    {
        "т.е",
        "т.к",
        "т.н",
        "т.ч",
        "напр",
        "см",
        "ср",
        "им",
        "ул",
        "г",
        "д",
        "пр",
        "пер",
        "просп",
        "проф",
        "акад",
        "св",
        "ст",
        "рис",
        "стр",
        "тел",
        "no",
        "mr",
        "mrs",
        "dr",
    }
)
_EMOJI_JOINERS = frozenset({"\u200d", "\ufe0f", "\ufe0e", "\u20e3"})


def _is_emoji(ch: str) -> bool:
    """True for pictographs and the joiners/modifiers that build emoji sequences."""
    if ch in _EMOJI_JOINERS:
        return True
    code = ord(ch)
    if 0x1F3FB <= code <= 0x1F3FF:  # skin tone modifiers (category Sk)
        return True
    return unicodedata.category(ch) == "So"


def _word_before(buf: str, end: int) -> str:
    """The abbreviation-like word ending at ``end`` (letters and inner dots)."""
    start = end
    while start > 0 and (buf[start - 1].isalpha() or buf[start - 1] == "."):
        start -= 1
    return buf[start:end].strip(".")


class SentenceChunker:
    """Feed reply tokens in; complete sentences come out as soon as they are known."""

    def __init__(self, max_chars: int = 120, min_cut_chars: int = 30) -> None:
        """Cut clauses longer than ``max_chars`` (at a comma or space past ``min_cut_chars``)."""
        self.max_chars = max_chars
        self.min_cut_chars = min_cut_chars
        self._buf = ""

    @property
    def pending(self) -> str:
        """Text received but not yet returned as a sentence."""
        return self._buf

    def feed(self, token: str) -> list[str]:
        """Add a piece of text; return the sentences it completed (maybe none)."""
        self._buf += token
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """End of the reply: return everything left, as sentences."""
        out = self._drain(final=True)
        rest = self._buf.strip()
        self._buf = ""
        if rest:
            out.append(rest)
        return out

    def reset(self) -> None:
        """Drop whatever is pending (the reply was cancelled)."""
        self._buf = ""

    def _drain(self, *, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            end = self._find_end(final=final)
            if end is None:
                return out
            sentence, self._buf = self._buf[:end].strip(), self._buf[end:]
            if sentence:
                out.append(sentence)

    def _find_end(self, *, final: bool) -> int | None:
        """Index just past the first complete sentence (or cut clause) in the buffer."""
        self._buf = self._buf.lstrip()
        buf = self._buf
        end = self._sentence_end(buf, final=final)
        span = end if end is not None else len(buf)
        if len(buf[:span].rstrip()) > self.max_chars:
            # Look only at the first max_chars+1 characters, so the cut lands in the
            # same place however the text was split into tokens.
            cut = self._cut_long_clause(buf[: self.max_chars + 1])
            if cut is not None:
                return cut
        return end

    def _sentence_end(self, buf: str, *, final: bool) -> int | None:
        """Index just past the first sentence end, or None when there is none (yet)."""
        n = len(buf)
        i = 0
        while i < n:
            ch = buf[i]
            if ch == "\n":
                return i + 1
            if ch not in _TERMINATORS:
                i += 1
                continue
            j = i
            while j < n and buf[j] in _TERMINATORS:
                j += 1
            while j < n and buf[j] in _CLOSERS:
                j += 1
            k = j
            while k < n and (buf[k] in " \t\r" or _is_emoji(buf[k])):
                k += 1
            if k >= n:
                # Nothing visible after the end yet: the next token decides.
                return n if final else None
            if self._ends_sentence(buf, i, j, k):
                # Keep trailing emoji with this sentence, leave the spaces behind.
                return k
            i = j
        return None

    @staticmethod
    def _ends_sentence(buf: str, i: int, j: int, k: int) -> bool:
        """Whether the terminator run ``buf[i:j]`` ends a sentence, given the next char at ``k``."""
        nxt = buf[k]
        if nxt == "\n":
            return True
        if nxt.islower():
            return False
        run = buf[i:j]
        if run != ".":
            return True
        if k == j and nxt.isalnum():
            return False  # "т.е", "3.5": no space after the dot
        word = _word_before(buf, i)
        if len(word) == 1 and word.isupper():
            return False  # an initial: "А. С. Пушкин"
        if word.lower() in _ABBREVIATIONS:
            return False
        head = buf[:i].strip()
        return not (head.isdigit() and len(head) <= 3)  # a list number: "1. Кошки"

    def _cut_long_clause(self, buf: str) -> int | None:
        """Where to cut an overlong clause: after its last comma, else at its last space."""
        limit = len(buf)
        for p in range(limit - 2, self.min_cut_chars - 1, -1):
            if buf[p] in _CLAUSE_MARKS and buf[p + 1] == " ":
                return p + 1
        for p in range(limit - 1, self.min_cut_chars - 1, -1):
            if buf[p] == " ":
                return p
        return None


def split_sentences(text: str, max_chars: int = 120) -> list[str]:
    """Split a whole text into sentences with the same rules as ``SentenceChunker``."""
    chunker = SentenceChunker(max_chars=max_chars)
    return chunker.feed(text) + chunker.flush()
