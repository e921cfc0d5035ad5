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

from kiosk.admin.i18n import tr
from kiosk.config import Settings
from kiosk.errors import ConfigError
from kiosk.paths import atomic_write_text
from kiosk.store import Store

__all__ = [
    "FIELDS",
    "SettingField",
    "apply_settings",
    "config_target",
    "explain_error",
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
    detail: str = ""
    """A longer Russian explanation, shown under the form while the field has focus."""


FIELDS: tuple[SettingField, ...] = (
    SettingField("general.child_name", "Имя ребёнка", "str", "Аня будет звать так ребёнка"),
    SettingField("listen.wake_phrases", "Фразы пробуждения", "list", "через запятую, строчными"),
    SettingField("listen.wake_sensitivity", "Чувствительность", "float", "0..1, выше — чутче"),
    SettingField("listen.follow_up_s", "Окно продолжения, с", "float", "0..120 секунд"),
    SettingField("audio.volume", "Громкость", "float", "0..1"),
    SettingField("general.quiet_start", "Тихие часы: с", "str", "ЧЧ:ММ, пусто — нет",
                 detail="Тихие часы: Аня спит и на своё имя только желает спокойной ночи. "
                 "Укажите и начало, и конец (можно через полночь: 21:30 — 07:00) или "
                 "оставьте оба пустыми."),
    SettingField("general.quiet_end", "Тихие часы: до", "str", "ЧЧ:ММ, пусто — нет",
                 detail="Конец тихих часов, ЧЧ:ММ; может быть раньше начала (через полночь)."),
    SettingField("general.daily_limit_min", "Лимит в день, мин", "int", "0 — без лимита",
                 detail="Сколько минут в день можно разговаривать (речь ребёнка и ответы "
                 "Ани вместе); 0 — без ограничения."),
    SettingField("general.retention_days", "Хранить историю, дней", "int", "0 — всю",
                 detail="Разговоры старше стольких дней удаляются раз в час; 0 — хранить всё. "
                 "Память Ани (факты) не трогается."),
    SettingField("brain.safety_level", "Уровень защиты", "choice", "standard / strict",
                 ("standard", "strict"),
                 detail="standard — не пропускает неподходящее для 12 лет; strict — ещё и "
                 "мягко уводит от страшных и взрослых тем (война, ужасы, свидания, деньги)."),
    SettingField("brain.parent_alerts", "Тревоги родителю", "bool", "да / нет",
                 detail="Записывать тревогу на «Обзор», когда ребёнок говорит об опасности, "
                 "о том, чтобы навредить себе, или о насилии."),
    SettingField("brain.safety_model", "Модель защиты", "bool", "да / нет",
                 detail="После списков слов спрашивать маленькую обученную модель: она "
                 "ловит пересказы тревожных слов («папа швыряет в меня вещи») ценой "
                 "нескольких лишних остановок."),
    SettingField("voice.engine", "Синтезатор", "choice", "",
                 ("espeak", "festival", "piper", "coqui", "trained"),
                 detail="espeak и festival есть всегда; piper и coqui — после kiosk models "
                 "import; trained — голос из kiosk voice train."),
    SettingField("voice.checkpoint", "Обученный голос", "str", "для trained; пусто — единственный"),
    SettingField("voice.voice", "Голос", "str", "espeak: ru+f3; festival: msu_ru_nsh_clunits"),
    SettingField("voice.rate_wpm", "Темп речи, сл/мин", "int", "80..400"),
    SettingField("voice.pitch", "Высота голоса", "int", "0..99"),
    SettingField("avatar.photo_asset", "Аватар из фото", "str", "ctrl+f — сделать из фото",
                 detail="Имя подготовленного аватара; пусто — нарисованное лицо. Ctrl+F "
                 "делает аватар из фотографии (с вашего согласия) и вписывает его сюда."),
    SettingField("stt.model", "Модель распознавания", "str", "имя из kiosk models list"),
    SettingField("stt.device", "Где распознавать", "choice", "", ("auto", "cpu", "cuda")),
    SettingField("brain.engine", "Мозг", "choice", "", ("auto", "llm", "scripted")),
    SettingField("brain.llm_model", "Модель LLM", "str", "пусто — лучшая установленная"),
    SettingField("brain.temperature", "Температура LLM", "float", "0..2"),
    SettingField("daemon.idle_unload_min", "Выгружать через, мин", "int", "0 — держать",
                 detail="Через сколько минут без разговоров выгружать модели из видеопамяти; "
                 "0 — держать загруженными (первый ответ после паузы быстрее)."),
    SettingField("avatar.fullscreen", "Во весь экран", "bool", "да / нет"),
)  # fmt: skip
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
            tr("«{label}» ({key}): не понимаю «{text}»", label=tr(field.label), key=field.key,
               text=text),
            tr(field.help or "исправьте значение"),
        ) from None  # fmt: skip


def explain_error(err: Any) -> str:
    """Pydantic's complaint in words a parent reads (Russian; English via the table)."""
    ctx = err.get("ctx") or {}
    match err["type"]:
        case "string_pattern_mismatch":
            return tr("нужно время ЧЧ:ММ, например 21:30")
        case "greater_than_equal" | "greater_than":
            return tr("не меньше {limit}", limit=ctx.get("ge", ctx.get("gt")))
        case "less_than_equal" | "less_than":
            return tr("не больше {limit}", limit=ctx.get("le", ctx.get("lt")))
        case "literal_error":
            return tr("одно из: {choices}", choices=ctx.get("expected", "?"))
        case "value_error":
            return tr(str(ctx.get("error", err["msg"])))
        case _:
            return str(err["msg"])


def _describe(exc: ValidationError) -> str:
    labels = {f.key: f.label for f in FIELDS}
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        reason = explain_error(err)
        if key not in labels and len(err["loc"]) == 1:  # a section's own rule (quiet hours)
            parts.append(reason[:1].upper() + reason[1:])
            continue
        label = tr(labels.get(key, key))
        parts.append(f"«{label}» ({key}): {reason}")
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
        raise ConfigError(
            tr("{target}: не удаётся прочитать: {exc}", target=target, exc=exc),
            tr("исправьте файл"),
        ) from exc
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
        raise ConfigError(
            tr("Не сохранено: {why}", why=_describe(exc)), tr("исправьте значение")
        ) from exc
    try:
        atomic_write_text(target, tomlkit.dumps(document))
    except OSError as exc:
        raise ConfigError(
            tr("Не удаётся записать {target}: {why}", target=target, why=exc.strerror),
            tr(
                "запустите kiosk admin от пользователя, которому можно писать этот файл "
                "(например sudo -u kiosk kiosk admin)"
            ),
        ) from exc
    _LOGGER.info("settings changed in %s: %s", target, sorted(changes))
    if store is not None:
        for key, value in changes.items():
            store.set_setting(key, value, changed_by="parent")
    return updated.model_copy(update={"source": target})
