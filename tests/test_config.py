"""Settings: defaults without a file, validation with key paths, sources and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.config import load_settings
from kiosk.errors import ConfigError, DataDirError
from kiosk.paths import atomic_write_text, resolve_paths


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    for key in list(__import__("os").environ):
        if key.startswith("KIOSK_") and "__" in key:
            monkeypatch.delenv(key)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_work_without_any_file() -> None:
    settings = load_settings()
    assert settings.general.language == "ru"
    assert settings.general.persona == "anya"
    assert settings.stt.model == "whisper-base"
    assert settings.source is None or not settings.source.is_relative_to("/etc")


def test_file_values_override_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, '[brain]\nengine = "scripted"\n[listen]\nfollow_up_s = 3.5\n')
    settings = load_settings(path)
    assert settings.brain.engine == "scripted"
    assert settings.listen.follow_up_s == 3.5
    assert settings.source == path


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        ("[stt]\nbeam_size = 50\n", "stt.beam_size", "less than or equal to 10"),
        ("[stt]\nfoo = 1\n", "stt.foo", "неизвестный ключ"),
        ("[nonsense]\nx = 1\n", "nonsense", "неизвестный ключ"),
        ('[brain]\nengine = "gpt"\n', "brain.engine", "'auto', 'llm', 'scripted' or 'http'"),
        ('[audio]\nvolume = "loud"\n', "audio.volume", "valid number"),
        ('[general]\npersona = "Аня Иванова"\n', "general.persona", "pattern"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(
    tmp_path: Path, toml: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, toml))
    assert key in info.value.message
    assert words in info.value.message
    assert info.value.hint


def test_unknown_key_lists_the_allowed_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, "[voice]\npich = 80\n"))
    assert "pitch" in info.value.message


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TOML"):
        load_settings(write(tmp_path, "[stt\nmodel = \n"))


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="не найден"):
        load_settings(tmp_path / "absent.toml")


def test_env_var_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[voice]\nvoice = "ru"\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert load_settings().voice.voice == "ru"
    monkeypatch.setenv("KIOSK_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match="KIOSK_CONFIG"):
        load_settings()


def test_user_file_is_found(tmp_path: Path) -> None:
    user = tmp_path / "xdg" / "kiosk" / "kiosk.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[avatar]\nfps = 25\n", encoding="utf-8")
    settings = load_settings()
    assert settings.avatar.fps == 25
    assert settings.source == user


def test_env_override_beats_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[brain]\nengine = "llm"\nmax_tokens = 64\n')
    monkeypatch.setenv("KIOSK_BRAIN__ENGINE", "scripted")
    settings = load_settings(path)
    assert settings.brain.engine == "scripted"
    assert settings.brain.max_tokens == 64


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.brain.max_tokens = 5  # type: ignore[misc]


def test_data_dir_from_config_is_created(tmp_path: Path) -> None:
    path = write(tmp_path, f'[paths]\ndata_dir = "{tmp_path / "data"}"\n')
    paths = resolve_paths(load_settings(path)).ensure()
    assert paths.data_dir == tmp_path / "data"
    assert paths.models_dir.is_dir()
    assert paths.database.parent == paths.data_dir


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    path = write(tmp_path, f'[paths]\ndata_dir = "{blocker / "data"}"\n')
    with pytest.raises(DataDirError) as info:
        resolve_paths(load_settings(path)).ensure()
    assert "paths.data_dir" in info.value.hint


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "x.toml"
    atomic_write_text(target, "old")
    atomic_write_text(target, "новое")
    assert target.read_text(encoding="utf-8") == "новое"
    assert [p.name for p in tmp_path.iterdir()] == ["x.toml"]
