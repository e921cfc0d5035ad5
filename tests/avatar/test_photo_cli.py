"""``kiosk avatar prepare/preview``: consent first, clear Russian errors, a contact sheet."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("mediapipe")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402

from kiosk.cli import main  # noqa: E402
from kiosk.paths import Paths  # noqa: E402


@pytest.fixture
def astronaut(tmp_path: Path) -> Path:
    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(skdata.astronaut()).save(photo, quality=92)
    return photo


def test_prepare_asks_for_consent_and_writes_nothing_without_it(
    kiosk_env: Paths, astronaut: Path
) -> None:
    result = CliRunner().invoke(main, ["avatar", "prepare", str(astronaut)], input="n\n")
    assert result.exit_code != 0
    assert "законный представитель" in result.output
    assert "Без согласия" in result.output
    assert not kiosk_env.avatars_dir.exists() or not any(kiosk_env.avatars_dir.iterdir())


def test_prepare_with_consent_then_preview_sheet(
    kiosk_env: Paths, astronaut: Path, tmp_path: Path
) -> None:
    args = ["avatar", "prepare", str(astronaut), "--name", "astro", "--no-enhance"]
    result = CliRunner().invoke(main, args, input="y\n")
    assert result.exit_code == 0, result.output
    assert "готов" in result.output
    assert 'how = "prompt"' in (kiosk_env.avatars_dir / "astro" / "asset.toml").read_text()
    sheet = tmp_path / "sheet.png"
    args = ["avatar", "preview", "--asset", "astro", "--sheet", str(sheet), "--side", "160"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    with Image.open(sheet) as im:  # not enhanced: no comparison row, five rows of poses
        assert im.size == (5 * 160, 5 * (160 + 18))
        cells = np.asarray(im.convert("RGB"))
    drawn = CliRunner().invoke(main, ["avatar", "preview", "--sheet", str(tmp_path / "d.png")])
    assert drawn.exit_code == 0, drawn.output
    with Image.open(tmp_path / "d.png") as im:  # the drawn face is another picture
        assert im.size == (5 * 512, 5 * (512 + 512 // 9))
    assert cells[:160, :160].std() > 20  # a photo, not a blank cell


def test_turned_face_is_warned_about_in_russian_and_still_built(
    kiosk_env: Paths, tmp_path: Path
) -> None:
    photo = tmp_path / "camera.png"
    Image.fromarray(skdata.camera()).save(photo)
    result = CliRunner().invoke(
        main, ["avatar", "prepare", str(photo), "--yes", "--no-enhance"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "лицо повёрнуто — лучше фото анфас" in result.output
    assert (kiosk_env.avatars_dir / "camera" / "asset.toml").is_file()


def test_preview_of_an_unknown_asset_says_how_to_make_one(kiosk_env: Paths) -> None:
    result = CliRunner().invoke(main, ["avatar", "preview", "--asset", "nobody"])
    assert result.exit_code != 0
    assert "не подготовлен" in result.output and "kiosk avatar prepare" in result.output


def test_preview_clip_follows_the_voice_and_reports_its_av_offset(
    kiosk_env: Paths, tmp_path: Path
) -> None:
    clip, strip = tmp_path / "clip.mp4", tmp_path / "strip.png"
    args = ["avatar", "preview", "--out", str(clip), "--strip", str(strip)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    found = re.search(r"Рассинхрон звука и губ: ([+-]\d+) мс.*медиана ([+-]\d+) мс", result.output)
    assert found, result.output
    assert abs(int(found[1])) <= 40 and abs(int(found[2])) <= 40
    assert clip.is_file() and not list(tmp_path.glob("*.wav"))
    with Image.open(strip) as im:
        frames = np.asarray(im.convert("RGB")).astype(int)
    assert frames.shape == (136, 10 * 136, 3)
    lower = [frames[80:, i * 136 : (i + 1) * 136] for i in range(10)]  # the mouth's half
    moving = sum(np.abs(a - b).mean() > 1.0 for a, b in zip(lower, lower[1:], strict=False))
    assert moving >= 5  # the mouth moves through the spoken part


def test_prepare_without_a_face_says_what_to_do(kiosk_env: Paths, tmp_path: Path) -> None:
    photo = tmp_path / "coffee.png"
    Image.fromarray(skdata.coffee()).save(photo)
    result = CliRunner().invoke(main, ["avatar", "prepare", str(photo), "--yes"])
    assert result.exit_code == 7
    assert "не найдено лицо" in result.output
    assert "→" in result.output


def test_preview_rejects_other_formats(kiosk_env: Paths, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["avatar", "preview", "--out", str(tmp_path / "x.gif")])
    assert result.exit_code != 0
    assert ".png" in result.output
