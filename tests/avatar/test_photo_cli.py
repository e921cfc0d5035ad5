"""``kiosk avatar prepare/preview``: consent first, clear Russian errors, a contact sheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("mediapipe")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402

from kiosk.cli import main  # noqa: E402


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("KIOSK_PATHS__DATA_DIR", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    return data


@pytest.fixture
def astronaut(tmp_path: Path) -> Path:
    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(skdata.astronaut()).save(photo, quality=92)
    return photo


def test_prepare_asks_for_consent_and_writes_nothing_without_it(env: Path, astronaut: Path) -> None:
    result = CliRunner().invoke(main, ["avatar", "prepare", str(astronaut)], input="n\n")
    assert result.exit_code != 0
    assert "законный представитель" in result.output
    assert "Без согласия" in result.output
    assert not (env / "avatars").exists() or not any((env / "avatars").iterdir())


def test_prepare_with_consent_then_preview_sheet(
    env: Path, astronaut: Path, tmp_path: Path
) -> None:
    args = ["avatar", "prepare", str(astronaut), "--name", "astro", "--no-enhance"]
    result = CliRunner().invoke(main, args, input="y\n")
    assert result.exit_code == 0, result.output
    assert "готов" in result.output
    assert 'how = "prompt"' in (env / "avatars" / "astro" / "asset.toml").read_text()
    sheet = tmp_path / "sheet.png"
    result = CliRunner().invoke(main, ["avatar", "preview", "--name", "astro", "--out", str(sheet)])
    assert result.exit_code == 0, result.output
    with Image.open(sheet) as im:
        assert im.size == (5 * 512, 3 * (512 + 512 // 9))


def test_prepare_without_a_face_says_what_to_do(env: Path, tmp_path: Path) -> None:
    photo = tmp_path / "coffee.png"
    Image.fromarray(skdata.coffee()).save(photo)
    result = CliRunner().invoke(main, ["avatar", "prepare", str(photo), "--yes"])
    assert result.exit_code == 7
    assert "не найдено лицо" in result.output
    assert "→" in result.output


def test_preview_rejects_other_formats(env: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["avatar", "preview", "--out", str(tmp_path / "x.gif")])
    assert result.exit_code != 0
    assert ".png" in result.output
