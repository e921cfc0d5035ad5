"""Change settings from the admin: validate, keep the file's comments, write atomically.

The file written is the one the settings came from (``Settings.source``) or, when
there is none, the per-user ``~/.config/kiosk/kiosk.toml``. Every change is validated
by building ``Settings`` from the edited document before anything is written, and
recorded in the database's settings history.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomlkit
from pydantic import ValidationError

from kiosk.config import Settings
from kiosk.errors import ConfigError
from kiosk.paths import atomic_write_text
from kiosk.store import Store

__all__ = [
    "FIELDS",
    "SettingField",
    "apply_settings",
    "config_target",
    "format_value",
    "parse_value",
    "read_value",
]

_LOGGER = logging.getLogger(__name__)

Kind = Literal["str", "int", "float", "list", "choice", "bool"]


@dataclass(frozen=True, slots=True)
class SettingField:
    """A setting the parent can change from the admin."""

    key: str
    """Dotted key, ``section.name``."""
    label: str
    """Russian label."""
    kind: Kind
    """How the text in the form is parsed."""
    help: str = ""
    """One line of Russian help (units, range)."""
    choices: tuple[str, ...] = ()
    """Allowed values for ``choice``."""


FIELDS: tuple[SettingField, ...] = (
    SettingField("general.child_name", "Имя ребёнка", "str", "Аня будет звать так ребёнка"),
    SettingField("listen.wake_phrases", "Фразы пробуждения", "list", "через запятую, строчными"),
    SettingField("listen.wake_sensitivity", "Чувствительность", "float", "0..1, выше — чутче"),
    SettingField("listen.follow_up_s", "Окно продолжения, с", "float", "0..120 секунд"),
    SettingField("audio.volume", "Громкость", "float", "0..1"),
    SettingField("voice.engine", "Синтезатор", "choice", "", ("espeak", "festival")),
    SettingField("voice.voice", "Голос", "str", "espeak: ru+f3; festival: msu_ru_nsh_clunits"),
    SettingField("voice.rate_wpm", "Темп речи, сл/мин", "int", "80..400"),
    SettingField("voice.pitch", "Высота голоса", "int", "0..99"),
    SettingField("stt.model", "Модель распознавания", "str", "имя из kiosk models list"),
    SettingField("stt.device", "Где распознавать", "choice", "", ("auto", "cpu", "cuda")),
    SettingField("brain.engine", "Мозг", "choice", "", ("auto", "llm", "scripted")),
    SettingField("brain.llm_model", "Модель LLM", "str", "пусто — лучшая установленная"),
    SettingField("brain.temperature", "Температура LLM", "float", "0..2"),
    SettingField("avatar.fullscreen", "Во весь экран", "bool", "да / нет"),
)
"""What the Settings tab shows, in order."""

_TRUE = {"да", "yes", "true", "1", "вкл"}
_FALSE = {"нет", "no", "false", "0", "выкл"}


def config_target(settings: Settings) -> Path:
    """The file a change is written to."""
    if settings.source is not None:
        return settings.source
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "kiosk" / "kiosk.toml"


def read_value(settings: Settings, key: str) -> Any:
    """The current value of ``section.name``."""
    section, name = key.split(".", 1)
    return getattr(getattr(settings, section), name)


def format_value(value: Any) -> str:
    """A value as the form shows it (lists comma-separated, booleans да/нет)."""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def parse_value(field: SettingField, text: str) -> Any:
    """The form's text as the setting's type (raises ``ConfigError`` naming the field)."""
    text = text.strip()
    try:
        match field.kind:
            case "int":
                return int(text)
            case "float":
                return float(text.replace(",", "."))
            case "list":
                return [item.strip() for item in text.split(",") if item.strip()]
            case "bool":
                if text.lower() in _TRUE | _FALSE:
                    return text.lower() in _TRUE
                raise ValueError(text)
            case _:
                return text
    except ValueError:
        raise ConfigError(
            f"«{field.label}» ({field.key}): не понимаю «{text}»",
            field.help or "исправьте значение",
        ) from None


def _describe(exc: ValidationError) -> str:
    labels = {f.key: f.label for f in FIELDS}
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        label = labels.get(key, key)
        parts.append(f"«{label}» ({key}): {err['msg']}")
    return "; ".join(parts)


def apply_settings(
    settings: Settings, changes: Mapping[str, Any], store: Store | None = None
) -> Settings:
    """Validate ``changes`` (key → typed value), write them to the config file, return new settings.

    Nothing is written when a value is invalid: ``ConfigError`` names the field.
    """
    target = config_target(settings)
    try:
        text = target.read_text(encoding="utf-8") if target.is_file() else ""
        document = tomlkit.parse(text)
    except (OSError, tomlkit.exceptions.ParseError) as exc:
        raise ConfigError(f"{target}: не удаётся прочитать: {exc}", "исправьте файл") from exc
    for key, value in changes.items():
        section, name = key.split(".", 1)
        table = document.get(section)
        if table is None:
            table = tomlkit.table()
            document[section] = table
        table[name] = value
    try:
        data = document.unwrap()
        data.pop("source", None)
        updated = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(f"Не сохранено: {_describe(exc)}", "исправьте значение") from exc
    try:
        atomic_write_text(target, tomlkit.dumps(document))
    except OSError as exc:
        raise ConfigError(
            f"Не удаётся записать {target}: {exc.strerror}",
            "запустите kiosk admin от пользователя, которому можно писать этот файл "
            "(например sudo -u kiosk kiosk admin)",
        ) from exc
    _LOGGER.info("settings changed in %s: %s", target, sorted(changes))
    if store is not None:
        for key, value in changes.items():
            store.set_setting(key, value, changed_by="parent")
    return updated.model_copy(update={"source": target})
