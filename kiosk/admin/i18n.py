"""Russian first, English when asked (``kiosk admin --lang en``): the tab titles and headings."""

from __future__ import annotations

__all__ = ["set_language", "tr"]

_EN = {
    "Обзор": "Status",
    "Разговоры": "Talks",
    "Память": "Memory",
    "Персонаж": "Persona",
    "Настройки": "Settings",
    "Чат": "Chat",
    "Служба": "Service",
    "Демон не запущен": "Daemon not running",
    "Состояние": "State",
    "Персонаж:": "Persona:",
    "Сегодня": "Today",
    "Поиск": "Search",
    "Что Аня помнит": "What Аня remembers",
    "Промпт следующей реплики": "Next prompt",
}

_language = "ru"


def set_language(language: str) -> None:
    """Choose ``ru`` or ``en`` before the app starts."""
    global _language
    _language = "en" if language == "en" else "ru"


def tr(text: str) -> str:
    """``text`` (Russian) in the chosen language; untranslated text stays Russian."""
    return _EN.get(text, text) if _language == "en" else text
