"""Edit personas from the admin: the form's text → a validated ``Persona`` → a TOML file.

Edited and new personas go to the parent's folder (``Paths.personas_dir``), which
wins over the bundled ones; the file is written atomically.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomlkit
from pydantic import ValidationError

from kiosk.admin.config_edit import explain_error
from kiosk.admin.i18n import tr
from kiosk.brain.persona import Persona
from kiosk.errors import PersonaError
from kiosk.paths import Paths, atomic_write_text

__all__ = ["PERSONA_FIELDS", "PersonaField", "form_values", "persona_from_form", "save_persona"]

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PersonaField:
    """One field of the persona form."""

    name: str
    """Attribute of ``Persona``."""
    label: str
    """Russian label."""
    kind: Literal["str", "int", "list", "choice"]
    """How the text is parsed (lists are comma-separated)."""
    choices: tuple[str, ...] = ()
    """Allowed values for ``choice``."""


PERSONA_FIELDS: tuple[PersonaField, ...] = (
    PersonaField("name", "Имя", "str"),
    PersonaField("age", "Возраст", "int"),
    PersonaField("gender", "Род речи", "choice", ("female", "male", "neutral")),
    PersonaField("character", "Характер", "list"),
    PersonaField("interests", "Интересы", "list"),
    PersonaField("speech_style", "Манера речи", "list"),
    PersonaField("greeting", "Приветствие", "str"),
    PersonaField("farewell", "Прощание", "str"),
    PersonaField("voice", "Голос", "str"),
    PersonaField("avatar", "Аватар", "str"),
    PersonaField("allowed_topics", "Любимые темы", "list"),
    PersonaField("blocked_topics", "Запретные темы", "list"),
    PersonaField("extra_instructions", "Доп. указания", "str"),
)
"""The editable fields, in form order (``id`` and ``language`` are fixed)."""

_LABELS = {f.name: f.label for f in PERSONA_FIELDS} | {"id": "Идентификатор"}


def form_values(persona: Persona) -> dict[str, str]:
    """The persona as the form shows it: field name → text."""
    values = {}
    for field in PERSONA_FIELDS:
        value = getattr(persona, field.name)
        values[field.name] = ", ".join(value) if isinstance(value, tuple) else str(value)
    return values


def persona_from_form(persona_id: str, values: Mapping[str, str]) -> Persona:
    """Build a validated persona; ``PersonaError`` names each refused field in Russian."""
    data: dict[str, Any] = {"id": persona_id, "language": "ru"}
    problems = []
    for field in PERSONA_FIELDS:
        text = values.get(field.name, "").strip()
        if field.kind == "list":
            data[field.name] = tuple(item.strip() for item in text.split(",") if item.strip())
        elif field.kind == "int":
            try:
                data[field.name] = int(text)
            except ValueError:
                problems.append(
                    tr("«{label}» ({name}): нужно целое число, а не «{text}»",
                       label=tr(field.label), name=field.name, text=text)
                )  # fmt: skip
        else:
            data[field.name] = text
    if not problems:
        try:
            return Persona(**data)
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else "?"
                label = tr(_LABELS.get(name, name))
                problems.append(f"«{label}» ({name}): {explain_error(err)}")
    raise PersonaError(
        tr("Персонаж не сохранён: {why}", why="; ".join(problems)), tr("исправьте эти поля")
    )


def save_persona(persona: Persona, paths: Paths) -> Path:
    """Write ``persona`` to the parent's folder atomically; return the file."""
    document = tomlkit.document()
    document.add(tomlkit.comment(f"{persona.name}: edited in kiosk admin."))
    for key, value in persona.model_dump().items():
        document[key] = list(value) if isinstance(value, tuple) else value
    path = paths.personas_dir / f"{persona.id}.toml"
    try:
        atomic_write_text(path, tomlkit.dumps(document))
    except OSError as exc:
        raise PersonaError(
            tr("Не удаётся записать {target}: {why}", target=path, why=exc.strerror),
            tr("запустите kiosk admin от пользователя kiosk (sudo -u kiosk kiosk admin)"),
        ) from exc
    _LOGGER.info("persona %s saved to %s", persona.id, path)
    return path
