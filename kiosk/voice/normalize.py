"""Russian text → what a synthesizer should read aloud: numbers, units, dates, abbreviations.

Emoji and markup disappear, numbers become words (num2words) in the case their
preposition asks for and agree with their unit or noun (gender and case of the
counted noun via pymorphy3, see ``agreement``), and only punctuation that shapes
prosody stays. Latin words are written in Cyrillic as a Russian child says them
(``latin``: "YouTube" → "Ютуб").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal

from num2words import num2words

from kiosk.voice.agreement import agreement_after
from kiosk.voice.latin import latin_to_cyrillic

__all__ = ["normalize_for_speech", "number_words"]

_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # emoticons, pictographs, transport, flags, symbols & pictographs ext.
    "\u2190-\u21ff\u2300-\u23ff\u25a0-\u25ff\u2600-\u27bf\u2b00-\u2bff"  # arrows … dingbats, stars
    "\ufe00-\ufe0f\u200d\u20e3"  # variation selectors, zero-width joiner, keycap
    "\U000e0020-\U000e007f"  # tag sequences (subdivision flags)
    "\u3030\u303d\u3297\u3299\u00a9\u00ae\u2122"
    "]+"
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[*_`#|\\^]+|(?m:^\s*>+)")

_MONTHS = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
).split()

# Case a preposition asks of the number after it (num2words codes); others keep nominative.
_PREPOSITION_CASE = {
    **dict.fromkeys(
        "до от из около без для после кроме с со у возле среди".split()
        + "больше меньше более менее свыше".split(),
        "g",
    ),
    **dict.fromkeys(("к", "ко"), "d"),
    **dict.fromkeys(("о", "об", "при"), "p"),
    **dict.fromkeys(("между", "перед"), "i"),
}

# unit → (gender, nominative forms for 1 / 2-4 / 5+, genitive singular, genitive plural)
_UNITS: dict[str, tuple[str, tuple[str, str, str], str, str]] = {}


def _unit(keys: str, gender: str, one: str, few: str, many: str, gen_one: str = "") -> None:
    for key in keys.split():
        _UNITS[key] = (gender, (one, few, many), gen_one or few, many)


_unit("км", "m", "километр", "километра", "километров")
_unit("м", "m", "метр", "метра", "метров")
_unit("см", "m", "сантиметр", "сантиметра", "сантиметров")
_unit("мм", "m", "миллиметр", "миллиметра", "миллиметров")
_unit("кг", "m", "килограмм", "килограмма", "килограммов")
_unit("г гр", "m", "грамм", "грамма", "граммов")
_unit("л", "m", "литр", "литра", "литров")
_unit("мл", "m", "миллилитр", "миллилитра", "миллилитров")
_unit("ч", "m", "час", "часа", "часов")
_unit("мин", "f", "минута", "минуты", "минут")
_unit("сек", "f", "секунда", "секунды", "секунд")
_unit("руб р ₽", "m", "рубль", "рубля", "рублей")
_unit("коп", "f", "копейка", "копейки", "копеек")
_unit("$", "m", "доллар", "доллара", "долларов")
_unit("€", "n", "евро", "евро", "евро")
_unit("%", "m", "процент", "процента", "процентов")
_unit("° °c °с ℃", "m", "градус", "градуса", "градусов")
_unit("шт", "f", "штука", "штуки", "штук")
_unit("тыс", "f", "тысяча", "тысячи", "тысяч")
_unit("млн", "m", "миллион", "миллиона", "миллионов")
_unit("млрд", "m", "миллиард", "миллиарда", "миллиардов")

_UNIT_ALT = "|".join(
    re.escape(u).replace("°", "°\\s?") for u in sorted(_UNITS, key=len, reverse=True)
)
_QUANTITY = re.compile(
    r"(?P<cur>[$€₽]\s?)?"
    r"(?P<sign>(?<![\w.,])[-−+](?=\d))?"
    r"(?<![\w.,])(?P<int>\d+)(?:[.,](?P<frac>\d+))?(?![\d])"
    rf"(?:\s?(?P<unit>{_UNIT_ALT})(?P<dot>\.)?(?!\w))?",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?![\d])")
_DATE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d.]\d)(?:\s*(?:г\.|года))?")
_DAY_MONTH = re.compile(
    rf"(?<![\d.,])(\d{{1,2}})\s+({'|'.join(_MONTHS)})(?:\s+(\d{{4}})(?:\s*(?:г\.|года|год)(?!\w))?)?(?!\w)",
    re.IGNORECASE,
)
_TIME = re.compile(r"(?<![\d:.,])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_YEAR = re.compile(
    r"(?<![\d.,])(\d{3,4})(?:\s?-\s?(?:м|й|го|х|ых))?\s+"
    r"(году|года|годом|годы|годах|годов|годам|год|гг\.|г\.)(?!\w)",
    re.IGNORECASE,
)
_ORDINAL = re.compile(
    r"(?<![\w.,])(\d+)\s?-\s?(ыми|ими|ый|ий|ой|ая|ое|ее|ого|его|ому|ему|ым|им|ую|юю|ых|их|ти|ми"
    r"|ом|ем|го|му|й|я|е|м|х|ю|и)(?!\w)",
    re.IGNORECASE,
)
# suffix → ("ord"/"card", case, gender, plural)
_ORDINAL_FORMS: dict[str, tuple[str, str, str, bool]] = {
    **dict.fromkeys(("й", "ый", "ий"), ("ord", "n", "m", False)),
    **dict.fromkeys(("я", "ая"), ("ord", "n", "f", False)),
    **dict.fromkeys(("е", "ое", "ее"), ("ord", "n", "n", False)),
    **dict.fromkeys(("го", "ого", "его"), ("ord", "g", "m", False)),
    **dict.fromkeys(("му", "ому", "ему"), ("ord", "d", "m", False)),
    **dict.fromkeys(("м", "ом", "ем"), ("ord", "p", "m", False)),
    **dict.fromkeys(("ым", "им"), ("ord", "i", "m", False)),
    **dict.fromkeys(("ой",), ("ord", "g", "f", False)),
    **dict.fromkeys(("ую", "юю"), ("ord", "a", "f", False)),
    **dict.fromkeys(("х", "ых", "их"), ("ord", "g", "m", True)),
    **dict.fromkeys(("ыми", "ими"), ("ord", "i", "m", True)),
    **dict.fromkeys(("ти", "ми", "и"), ("card", "g", "m", False)),
    **dict.fromkeys(("ю",), ("card", "i", "m", False)),
}
_YEAR_WORD_CASE = {
    "году": ("p", False), "года": ("g", False), "годом": ("i", False), "год": ("n", False),
    "годы": ("n", True), "годах": ("p", True), "годов": ("g", True), "годам": ("d", True),
}  # fmt: skip
_ABBREVIATIONS = [
    (r"т\.\s?е\.", "то есть"),
    (r"т\.\s?д\.", "так далее"),
    (r"т\.\s?п\.", "тому подобное"),
    (r"т\.\s?к\.", "так как"),
    (r"т\.\s?ч\.", "том числе"),
    (r"др\.", "другие"),
    (r"пр\.", "прочее"),
    (r"напр\.", "например"),
    (r"см\.", "смотри"),
    (r"стр\.", "страница"),
    (r"г\.(?=\s*[А-ЯЁ])", "город "),  # the trailing space: never a sentence end
    (r"руб\.?", "рублей"),
    (r"коп\.?", "копеек"),
    (r"км", "километров"),
    (r"кг", "килограммов"),
    (r"см", "сантиметров"),
    (r"мм", "миллиметров"),
    (r"мин\.", "минут"),
    (r"сек\.", "секунд"),
    (r"ч\.", "часов"),
    (r"тыс\.", "тысяч"),
    (r"млн\.?", "миллионов"),
    (r"млрд\.?", "миллиардов"),
]
_ABBREVIATION_RES = [(re.compile(rf"(?<![\w.]){p}(?!\w)"), w) for p, w in _ABBREVIATIONS]
_SYMBOLS = {
    "+": " плюс ", "=": " равно ", "&": " и ", "№": " номер ", "%": " процентов ",
    "°": " градусов ", "℃": " градусов ", "×": " умножить на ", "÷": " разделить на ",
    "<": " меньше ", ">": " больше ", "≈": " примерно ", "~": " примерно ",
    "$": " долларов ", "€": " евро ", "₽": " рублей ", "@": " ", "/": " ",
}  # fmt: skip
_SYMBOL_RE = re.compile("|".join(re.escape(s) for s in _SYMBOLS))
_PREVIOUS_WORD = re.compile(r"([А-Яа-яЁё]+)[\s\u00a0]*$")
_SENTENCE_END_AFTER = re.compile(r"\s*(?:$|[А-ЯЁA-Z])")


def number_words(
    number: int | str, case: str = "n", gender: str = "m", ordinal: bool = False
) -> str:
    """``number`` in Russian words, in ``case`` (n, g, d, a, i, p) and ``gender`` (m, f, n)."""
    digits = str(number)
    if not ordinal and (len(digits) > 15 or (len(digits) > 1 and digits.startswith("0"))):
        # Codes and long digit strings are read digit by digit, as people do.
        return " ".join(num2words(int(d), lang="ru") for d in digits)
    kind = "ordinal" if ordinal else "cardinal"
    return str(num2words(int(digits), lang="ru", to=kind, case=case, gender=gender))


def _preposition_case(text: str, start: int) -> str:
    match = _PREVIOUS_WORD.search(text[max(0, start - 24) : start])
    return _PREPOSITION_CASE.get(match.group(1).lower(), "n") if match else "n"


def _plural_index(n: int) -> int:
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def _keep_sentence_end(match: re.Match[str], dot: str | None) -> str:
    """A dot that ended an abbreviation and the sentence stays as the sentence's end."""
    if dot and _SENTENCE_END_AFTER.match(match.string, match.end()):
        return "."
    return ""


def _quantity(match: re.Match[str]) -> str:
    integer, frac = match["int"], match["frac"]
    unit_key = (match["unit"] or match["cur"] or "").strip().lower().replace(" ", "")
    unit = _UNITS.get(unit_key)
    case = _preposition_case(match.string, match.start())
    if unit is not None and case not in ("n", "g"):
        case = "n"  # units are declined in nominative and genitive only
    gender = unit[0] if unit else "m"
    ordinal = False
    if unit is None and not frac:
        agreement = agreement_after(match.string, match.end(), int(integer), case)
        if agreement is not None:
            case, gender, ordinal = agreement.case, agreement.gender, agreement.ordinal
    if frac:
        words = str(num2words(Decimal(f"{integer}.{frac}"), lang="ru"))
    else:
        words = number_words(integer, case=case, gender=gender, ordinal=ordinal)
    sign = match["sign"]
    if sign:
        words = ("плюс " if sign == "+" else "минус ") + words
    if unit is None:
        return words
    _, nominative, gen_one, gen_many = unit
    if frac:
        unit_word = gen_one
    elif case == "g":
        unit_word = gen_one if _plural_index(int(integer)) == 0 else gen_many
    else:
        unit_word = nominative[_plural_index(int(integer))]
    return f"{words} {unit_word}" + _keep_sentence_end(match, match["dot"])


def _date(match: re.Match[str]) -> str:
    day, month, year = int(match[1]), int(match[2]), match[3]
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match[0]
    case = "g" if _preposition_case(match.string, match.start()) == "g" else "n"
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    day_words = number_words(day, case=case, gender="n", ordinal=True)
    year_words = number_words(full_year, case="g", ordinal=True)
    return f"{day_words} {_MONTHS[month - 1]} {year_words} года"


def _day_month(match: re.Match[str]) -> str:
    day = int(match[1])
    if not 1 <= day <= 31:
        return match[0]
    case = "g" if _preposition_case(match.string, match.start()) == "g" else "n"
    words = f"{number_words(day, case=case, gender='n', ordinal=True)} {match[2].lower()}"
    if match[3]:
        words += f" {number_words(match[3], case='g', ordinal=True)} года"
    return words


def _time(match: re.Match[str]) -> str:
    hours, minutes = int(match[1]), match[2]
    if minutes == "00":
        tail = "ноль ноль"
    elif minutes.startswith("0"):
        tail = "ноль " + number_words(int(minutes), gender="f")
    else:
        tail = number_words(int(minutes), gender="f")
    return f"{number_words(hours)} {tail}"


def _year(match: re.Match[str]) -> str:
    word = match[2].lower()
    previous = _PREVIOUS_WORD.search(match.string[max(0, match.start() - 24) : match.start()])
    prep = previous.group(1).lower() if previous else ""
    if word in ("г.", "гг."):
        plural = word == "гг."
        in_year = prep in ("в", "во")
        case = "p" if in_year else "n"
        word = ("годах" if in_year else "годы") if plural else ("году" if in_year else "год")
    else:
        case, plural = _YEAR_WORD_CASE[word]
    if case == "p" and prep in ("к", "ко", "по"):
        case = "d"
        word = "годам" if plural else "году"
    words = str(num2words(int(match[1]), lang="ru", to="ordinal", case=case, plural=plural))
    return f"{words} {word}" + _keep_sentence_end(match, "." if match[2].endswith(".") else None)


def _ordinal(match: re.Match[str]) -> str:
    kind, case, gender, plural = _ORDINAL_FORMS[match[2].lower()]
    if kind == "card":
        return number_words(match[1], case=case)
    return str(
        num2words(int(match[1]), lang="ru", to="ordinal", case=case, gender=gender, plural=plural)
    )


def _abbreviation(words: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        if words.endswith(" "):
            return words
        return words + _keep_sentence_end(match, "." if match[0].endswith(".") else None)

    return replace


def _tidy(text: str) -> str:
    text = re.sub(r"[«»„“”\"']", "", text)
    text = re.sub(r"[()\[\]{}]", ",", text)
    text = re.sub(r"\s[-–—]+\s|[–—]+|[;:]", ", ", text)
    text = re.sub(r"…", "...", text)
    text = re.sub(r"([!?])[!?.]*", r"\1", text)
    text = re.sub(r"\.{4,}", "...", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([.,!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r",\s*([.!?])", r"\1", text)
    text = re.sub(r"([.!?])\s*,", r"\1", text)
    text = re.sub(r"([.,!?])(?=[^\s.,!?])", r"\1 ", text)
    return text.strip(" ,;-").strip()


def normalize_for_speech(text: str) -> str:
    """What a Russian synthesizer should read for ``text`` (may be empty: nothing to say)."""
    text = unicodedata.normalize("NFC", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    text = _THOUSANDS.sub(lambda m: re.sub(r"\D", "", m[0]), text)
    text = re.sub(r"(\d)\s?[*×]\s?(\d)", r"\1 умножить на \2", text)
    text = re.sub(r"(?<!\w)км\s?/\s?ч(?!\w)", "км в час", text)
    text = _DATE.sub(_date, text)
    text = _DAY_MONTH.sub(_day_month, text)
    text = _TIME.sub(_time, text)
    text = _YEAR.sub(_year, text)
    text = _ORDINAL.sub(_ordinal, text)
    text = _QUANTITY.sub(_quantity, text)
    text = re.sub(r"\d+", lambda m: number_words(m[0]), text)  # digits glued to words
    for pattern, words in _ABBREVIATION_RES:
        text = pattern.sub(_abbreviation(words), text)
    text = _SYMBOL_RE.sub(lambda m: _SYMBOLS[m[0]], text)
    return _tidy(latin_to_cyrillic(text))
