"""``reload`` on the running daemon: the config file and the active persona's file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.admin.persona_edit import save_persona
from kiosk.daemon.control import ControlClient, ControlCommandFailed

from .harness import StartLive

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, whisper_base_dir: Path, *, listen: str, stt: str = "") -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f"""
[paths]
data_dir = "{tmp_path / "d"}"
[brain]
engine = "scripted"
[stt]
model = "{whisper_base_dir}"
{stt}
[listen]
echo_cancellation = false
{listen}
[daemon]
socket_path = "{tmp_path / "k.sock"}"
""",
        encoding="utf-8",
    )
    return path


def test_reload_applies_a_valid_config_and_keeps_the_old_one_when_invalid(
    start_live: StartLive, tmp_path: Path, whisper_base_dir: Path
) -> None:
    config = _config(tmp_path, whisper_base_dir, listen="follow_up_s = 60.0")
    running = start_live(config=config)
    live = running.live
    client = ControlClient(live.core.paths.socket_path)
    assert client.request("reload") == {"applied": [], "restart_needed": []}

    _config(tmp_path, whisper_base_dir, listen='follow_up_s = "долго"')
    with pytest.raises(ControlCommandFailed, match="follow_up_s"):
        client.request("reload")
    assert live.core.settings.listen.follow_up_s == 60.0  # nothing half-applied

    _config(tmp_path, whisper_base_dir, listen="follow_up_s = 12.0\n[audio]\nvolume = 0.5")
    reply = client.request("reload")
    assert reply["applied"] == ["listen"] and reply["restart_needed"] == ["audio"]
    assert live.core.settings.listen.follow_up_s == 12.0


def test_reload_picks_up_an_edit_of_the_active_persona(
    start_live: StartLive, tmp_path: Path, whisper_base_dir: Path
) -> None:
    running = start_live(config=_config(tmp_path, whisper_base_dir, listen=""))
    live = running.live
    before = live.core.persona
    edited = before.model_copy(update={"greeting": "Приветик! Я сегодня в новом платье."})
    save_persona(edited, live.core.paths)  # what the TUI's persona editor writes
    reply = ControlClient(live.core.paths.socket_path).request("reload")
    assert reply["applied"] == ["persona"]
    assert live.core.persona.greeting == edited.greeting
    assert live.core.brain is not None and live.core.persona != before


def test_a_gpu_that_cannot_load_whisper_is_a_notice_for_the_parent(
    start_live: StartLive, tmp_path: Path, whisper_base_dir: Path
) -> None:
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("a working GPU is here")
    config = _config(tmp_path, whisper_base_dir, listen="", stt='device = "cuda"')
    live = start_live(config=config).live
    status = ControlClient(live.core.paths.socket_path).request("status")
    assert any("распознавание на процессоре" in n for n in status["notices"]), status["notices"]
    assert live.transcriber.device == "cpu"
