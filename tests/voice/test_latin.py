from __future__ import annotations

import re

import pytest

from kiosk.voice.latin import READINGS, latin_to_cyrillic
from kiosk.voice.normalize import normalize_for_speech


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # names a child says, read the Russian way (case of the first letter kept)
        ("Я смотрю YouTube", "Я смотрю Ютуб"),
        ("играю в Minecraft и Roblox", "играю в Майнкрафт и Роблокс"),
        ("видео из TikTok", "видео из Тикток"),
        ("youtube", "ютуб"),
        ("ROBLOX", "Роблокс"),
        ("Wi-Fi не работает", "Вай-фай не работает"),
        ("ChatGPT сказал OK", "Чат джи пи ти сказал Окей"),
        # short capitals are letter names; a lone letter too
        ("мой PC и TV", "мой Пи си и Ти ви"),
        ("витамин C", "витамин Си"),
        ("икс это x", "икс это икс"),
        # any other Latin word: letter by letter, as Russians read it
        ("Шрек и Fiona", "Шрек и Фиона"),
        ("NASA", "Наса"),
        ("Xbox и Max", "Иксбокс и Макс"),
        ("don't stop", "донт стоп"),
        # a Latin look-alike inside a Cyrillic word becomes the Cyrillic letter
        ("мaмa", "мама"),
        # Cyrillic text is untouched
        ("Привет, Аня!", "Привет, Аня!"),
    ],
)
def test_latin_words_are_written_in_cyrillic(text, spoken):
    assert latin_to_cyrillic(text) == spoken


@pytest.mark.parametrize("word", sorted(READINGS))
def test_every_reading_is_cyrillic(word):
    assert not re.search(r"[A-Za-z]", READINGS[word])


def test_normalised_speech_has_no_latin_letters_left():
    text = "Давай поиграем в Brawl Stars или Among Us, а потом посмотрим YouTube на iPad 😀."
    spoken = normalize_for_speech(text)
    assert spoken == "Давай поиграем в Бравл Старс или Эмонг Ас, а потом посмотрим Ютуб на айпад."
    assert not re.search(r"[A-Za-z]", spoken)


def test_urls_still_vanish_before_transliteration():
    assert normalize_for_speech("Смотри https://youtube.com/watch тут") == "Смотри тут"


def test_units_in_latin_letters_are_read_before_transliteration():
    # "°C" is a unit (градусов), not the letter C (си).
    assert normalize_for_speech("В Minecraft +25°C") == "В Майнкрафт плюс двадцать пять градусов"
