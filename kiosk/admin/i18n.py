"""Russian first, English when asked (``kiosk admin --lang en``): every label, key and message.

The Russian text is the key: ``tr("Сохранить")`` is "Save" in English mode. Texts with
values use ``str.format`` fields, filled after translation: ``tr("Найдено: {n}", n=3)``.
Content from the database (what the child said, facts, persona texts) is never translated.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.dom import DOMNode

__all__ = ["language", "set_language", "tr", "translate_bindings"]

_LOGGER = logging.getLogger(__name__)

_language = "ru"


def set_language(language: str) -> None:
    """Choose ``ru`` or ``en`` before the app starts."""
    global _language
    _language = "en" if language == "en" else "ru"


def language() -> str:
    """The chosen language: ``ru`` or ``en``."""
    return _language


def tr(text: str, /, **values: Any) -> str:
    """``text`` (Russian) in the chosen language, with ``values`` formatted in.

    Untranslated text stays Russian (a test on every screen catches that).
    """
    if _language == "en":
        from kiosk.admin.i18n_en import EN

        text = EN.get(text, text)
    return text.format(**values) if values else text


def translate_bindings(node: DOMNode) -> None:
    """Translate the footer descriptions of ``node``'s key bindings (call in ``__init__``)."""
    if _language == "ru":
        return
    bindings = node._bindings.key_to_bindings
    for key, group in bindings.items():
        bindings[key] = [dataclasses.replace(b, description=tr(b.description)) for b in group]
