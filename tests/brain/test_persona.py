from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.brain.persona import list_personas, load_persona, system_prompt
from kiosk.errors import PersonaError
from kiosk.paths import Paths

VALID = """
name = "Тест"
age = 11
greeting = "Привет!"
farewell = "Пока!"
"""


def _write(paths: Paths, name: str, text: str) -> Path:
    paths.personas_dir.mkdir(parents=True, exist_ok=True)
    path = paths.personas_dir / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_anya_is_a_12_year_old_girl(paths: Paths) -> None:
    anya = load_persona("anya", paths)
    assert (anya.id, anya.name, anya.age, anya.gender, anya.language) == (
        "anya",
        "Аня",
        12,
        "female",
        "ru",
    )
    assert "любознательная" in anya.character
    assert {"рисование", "музыка", "чтение"} <= set(anya.interests)
    assert anya.voice.startswith("espeak:")


def test_several_personas_are_bundled(paths: Paths) -> None:
    ids = [p.id for p in list_personas(paths)]
    assert "anya" in ids
    assert len(ids) >= 2


def test_parent_copy_overrides_bundled_persona(paths: Paths) -> None:
    _write(paths, "anya", VALID.replace("Тест", "Анечка"))
    assert load_persona("anya", paths).name == "Анечка"
    assert [p.name for p in list_personas(paths) if p.id == "anya"] == ["Анечка"]


def test_unknown_key_is_rejected_with_its_name(paths: Paths) -> None:
    path = _write(paths, "bad", VALID + 'favourite_colour = "синий"\n')
    with pytest.raises(PersonaError) as info:
        load_persona("bad", paths)
    assert "favourite_colour" in str(info.value)
    assert str(path) in str(info.value)
    assert info.value.hint


def test_wrong_type_is_rejected_with_its_name(paths: Paths) -> None:
    _write(paths, "bad", VALID.replace("age = 11", 'age = "двенадцать"'))
    with pytest.raises(PersonaError, match="age"):
        load_persona("bad", paths)


def test_string_instead_of_list_is_rejected(paths: Paths) -> None:
    _write(paths, "bad", VALID + 'interests = "рисование"\n')
    with pytest.raises(PersonaError, match="interests"):
        load_persona("bad", paths)


def test_missing_required_key_is_named(paths: Paths) -> None:
    _write(paths, "bad", VALID.replace('greeting = "Привет!"', ""))
    with pytest.raises(PersonaError, match="greeting"):
        load_persona("bad", paths)


def test_broken_toml_names_the_file(paths: Paths) -> None:
    path = _write(paths, "bad", "name = Аня без кавычек\n")
    with pytest.raises(PersonaError, match="not valid TOML") as info:
        load_persona("bad", paths)
    assert str(path) in str(info.value)


def test_id_must_match_file_name(paths: Paths) -> None:
    _write(paths, "one", VALID + 'id = "two"\n')
    with pytest.raises(PersonaError, match="differs"):
        load_persona("one", paths)


def test_missing_persona_lists_the_available_ones(paths: Paths) -> None:
    with pytest.raises(PersonaError) as info:
        load_persona("nobody", paths)
    assert "anya" in info.value.hint


def test_invalid_file_does_not_hide_the_others(paths: Paths) -> None:
    _write(paths, "broken", "age = \n")
    ids = [p.id for p in list_personas(paths)]
    assert "broken" not in ids
    assert "anya" in ids


def test_system_prompt_has_name_age_facts_and_safety(paths: Paths) -> None:
    anya = load_persona("anya", paths)
    prompt = system_prompt(anya, ["Любит кошек", "Учится в шестом классе"], child_name="Маша")
    assert "Аня" in prompt
    assert "12 лет" in prompt
    assert "Любит кошек" in prompt and "Учится в шестом классе" in prompt
    assert "Маша" in prompt
    assert "взрослому" in prompt  # tell a trusted adult
    assert "цифровой персонаж" in prompt  # honest about not being human
    assert "коротко" in prompt


def test_system_prompt_without_facts_has_no_memory_section(paths: Paths) -> None:
    prompt = system_prompt(load_persona("anya", paths))
    assert "помнишь" not in prompt


@pytest.mark.parametrize(("age", "word"), [(21, "21 год"), (13, "13 лет"), (22, "22 года")])
def test_system_prompt_declines_the_age(paths: Paths, age: int, word: str) -> None:
    persona = load_persona("anya", paths).model_copy(update={"age": age})
    assert word in system_prompt(persona)
