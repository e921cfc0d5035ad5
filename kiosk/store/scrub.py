"""Mask the child's personal data (phones, e-mails, addresses, document numbers) in stored text.

Regular expressions, not a library: the shapes are Russian (+7/8 phones, "ул. Ленина,
д. 5, кв. 12") and a false mask of ordinary talk ("в 2024 году", "12 лет", "2 плюс 2")
costs memory, so every pattern needs a structure numbers in ordinary talk lack:

- a phone is 10 digits after +7/8 (or a bare 3-3-2-2 / 3-7 / 10-digit run), or a
  dashed 7-digit city number (123-45-67);
- an address is a street word (улица, ул., проспект, переулок, …) followed by a
  capitalised name or by a house number, or "дом N, квартира M" on its own;
- a document or card number is a run of 10+ digits (spaces and dashes allowed)
  that is not a thousands-grouped amount ("1 000 000 000").

Toll-free 8-800 numbers (help lines Аня gives) are public and kept. Spelled-out
numbers ("восемь девятьсот…") are not recognised. A capitalised word after a street
word reads as a street name ("на улице Маша" is masked too: the cost of a rare
over-mask is a word, the cost of missing "на улице Ленина" is the child's address).
"""

from __future__ import annotations

import re

__all__ = ["PLACEHOLDERS", "find_personal_data", "scrub_personal_data"]

PLACEHOLDERS = {
    "email": "[почта]",
    "phone": "[телефон]",
    "address": "[адрес]",
    "number": "[номер]",
}
"""Kind of personal data → the Russian placeholder stored instead of it."""

_SEP = r"[ \t\-‐–]?"  # one optional separator between digit groups

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)

_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:"
    # +7 / 8 / 7 prefix, optional bracketed area code, 10 digits in common groupings.
    r"(?:\+\s?7|8|7)" + _SEP + r"\(?\d{3}\)?" + _SEP + r"\d{3}" + _SEP + r"\d{2}" + _SEP + r"\d{2}"
    r"|\(\d{3,5}\)\s?\d{1,3}" + _SEP + r"\d{2}" + _SEP + r"\d{2}"  # (495) 123-45-67
    r"|9\d{2}" + _SEP + r"\d{3}" + _SEP + r"\d{2}" + _SEP + r"\d{2}"  # 916 123 45 67
    r"|\d{3}[\-‐–]\d{2}[\-‐–]\d{2}"  # city number 123-45-67
    r")"
    r"(?![\w])",
)

_STREET = (
    r"(?:улиц[аеуы]|ул\.?|проспект[аеу]?|пр-т|просп\.?|переул(?:ок|ке|ка)|пер\.?"
    r"|бульвар[аеу]?|б-р|шоссе|набережн(?:ая|ой)|наб\.?|площад[иь]|пл\.?|проезд[аеу]?"
    r"|тупик[аеу]?|микрорайон[аеу]?|мкр\.?)"
)
_HOUSE_PART = (
    r"(?:дом[аеу]?|д\.?|корпус[аеу]?|корп\.?|к\.|строени[еяи]|стр\.?|квартир[аеуы]|кв\.?"
    r"|подъезд[аеу]?|под\.|этаж[аеу]?)"
)
_NUM = r"\d+(?:[а-яё](?![а-яё]))?(?:/\d+)?"  # 5, 5а, 5/2
_HOUSE = r"(?:,?\s*" + _HOUSE_PART + r"\s*" + _NUM + r")+"
# Case-sensitive inside the IGNORECASE pattern: "улице Ленина" is a street, "улице холодно" not.
_NAME = r"(?-i:[А-ЯЁ][а-яё-]+(?:\s+[А-ЯЁ][а-яё-]+){0,2})"  # Ленина, Мира, Льва Толстого
_LOWER_NAME = r"[а-яё][а-яё-]+(?:\s+[а-яё][а-яё-]+){0,2}"

_HOUSE_OR_NUMBER = r"(?:" + _HOUSE + r"|,?\s+" + _NUM + r"(?:" + _HOUSE + r")?)"
_ADDRESS_FORMS = (
    # street word + capitalised name, then house, flat, … (or a bare number "Ленина 5")
    _STREET + r"\s+" + _NAME + _HOUSE_OR_NUMBER + "?",
    # street word + lower-case name (speech recognisers drop capitals) + "дом N", not a
    # bare number: "на улице минус 10" is the weather
    _STREET + r"\s+" + _LOWER_NAME + _HOUSE,
    # "Ленинский проспект, дом 5": name first, a house number required
    r"(?-i:[А-ЯЁ][а-яё]+(?:ий|ый|ая|ое|ой))\s+" + _STREET + _HOUSE_OR_NUMBER,
    # "дом 5, корпус 2, квартира 12" without the street
    r"(?:дом[аеу]?|д\.?)\s*"
    + _NUM
    + r"(?:,?\s*(?:корпус[аеу]?|корп\.?|к\.|строени[еяи]|стр\.?)\s*"
    + _NUM
    + r")*"
    + r",?\s*(?:квартир[аеуы]|кв\.?)\s*"
    + _NUM,
    r"(?:квартир[аеуы]|кв\.)\s*(?:номер\s+|№\s*)?\d+",
)
_ADDRESS = re.compile(r"(?<![\w.])(?:" + "|".join(_ADDRESS_FORMS) + r")(?!\w)", re.IGNORECASE)

# Groups of two or more digits: a counted list "1 2 3 4 5 6 7 8 9 10" is not a document.
_DIGIT_RUN = re.compile(r"(?<![\w.,])\d{2,}(?:[ \-‐–]\d{2,})*(?![\w])")
_MIN_DOCUMENT_DIGITS = 10
"""Passport (10), СНИЛС (11), ИНН (12), card (16); ordinary talk rarely says 10 digits."""
_SERVICE_NUMBER = re.compile(r"(?<![\w+])(?:8|\+\s?7)[ \-‐–]?\(?800\)?(?:[ \-‐–]?\d){7}(?!\d)")
"""Toll-free 8-800 lines (the children's help line 8-800-2000-122): public, not personal."""
_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+")


def _is_document_number(run: str) -> bool:
    digits = sum(ch.isdigit() for ch in run)
    return digits >= _MIN_DOCUMENT_DIGITS and not _THOUSANDS.fullmatch(run)


def _scrub_piece(text: str, found: list[tuple[str, str]]) -> str:
    for kind, pattern in (("email", _EMAIL), ("phone", _PHONE), ("address", _ADDRESS)):
        found.extend((kind, m.group(0)) for m in pattern.finditer(text))
        text = pattern.sub(PLACEHOLDERS[kind], text)

    def number(match: re.Match[str]) -> str:
        if not _is_document_number(match.group(0)):
            return match.group(0)
        found.append(("number", match.group(0)))
        return PLACEHOLDERS["number"]

    return _DIGIT_RUN.sub(number, text)


def _scrub(text: str) -> tuple[str, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []
    pieces: list[str] = []
    start = 0
    for service in _SERVICE_NUMBER.finditer(text):  # left as they are, scrub around them
        pieces += [_scrub_piece(text[start : service.start()], found), service.group(0)]
        start = service.end()
    pieces.append(_scrub_piece(text[start:], found))
    return "".join(pieces), found


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) of every piece of personal data in ``text``, in scrub order."""
    return _scrub(text)[1]


def scrub_personal_data(text: str) -> str:
    """``text`` with phones, e-mails, addresses and long document numbers masked.

    Each piece becomes its placeholder ("[телефон]", "[почта]", "[адрес]", "[номер]");
    everything else, public 8-800 help lines included, is left exactly as it was.
    """
    return _scrub(text)[0]
