"""``kiosk listen --file``: events with timestamps, wake word, follow-up, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kiosk.audio.wav import read_wav, write_wav
from kiosk.cli import main
from kiosk.paths import CONTENT_DIR

DEMO = CONTENT_DIR / "demo"


@pytest.fixture
def env(tmp_path: Path, whisper_base_dir: Path) -> dict[str, str]:
    return {
        "KIOSK_CONFIG": "",
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "KIOSK_PATHS__DATA_DIR": str(tmp_path / "data"),
        "KIOSK_STT__MODEL": str(whisper_base_dir),
        "KIOSK_STT__CPU_THREADS": "2",
        "KIOSK_LISTEN__END_SILENCE_MS": "300",
    }


def listen(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["listen", *args], env=env)


def records(result: Result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.slow
def test_demo_question_prints_speech_wake_and_transcript_as_json_lines(
    env: dict[str, str],
) -> None:
    events = records(listen(env, "--file", str(DEMO / "02_risovat.wav"), "--json"))

    types = [e["type"] for e in events]
    assert types == ["speech_started", "speech_ended", "wake", "transcript", "done"]
    started, ended, wake, transcript, done = events
    assert 0.2 < started["t"] < 0.6 and ended["end"] < ended["decided_at"]
    assert wake["phrase"] == "аня" and wake["score"] >= 0.9
    assert transcript["accepted"] and transcript["wake"]
    assert transcript["raw"].startswith("Аня")
    assert transcript["text"].lower().startswith("что ты любишь")
    assert transcript["stt_ms"] > 0
    assert done["utterances"] == 1 and done["accepted"] == 1


@pytest.mark.slow
def test_a_pause_after_the_name_keeps_the_kiosk_awake_for_the_question(
    env: dict[str, str],
) -> None:
    # Festival pauses ~330 ms after "Аня," in this file: two utterances as cut.
    wav = str(DEMO / "03_zagadka.wav")
    events = records(listen(env, "--file", wav, "--json", "--no-join"))

    transcripts = [e for e in events if e["type"] == "transcript"]
    assert len(transcripts) == 2
    assert transcripts[0]["wake"] and transcripts[0]["text"] == ""
    assert not transcripts[1]["wake"] and transcripts[1]["accepted"]
    assert "загад" in transcripts[1]["text"].lower()

    # By default the pause is joined, as the live loop does: one question, with the name.
    transcripts = [
        e for e in records(listen(env, "--file", wav, "--json")) if e["type"] == "transcript"
    ]
    assert len(transcripts) == 1
    assert transcripts[0]["wake"] and transcripts[0]["accepted"]
    assert "загад" in transcripts[0]["text"].lower()


@pytest.mark.slow
def test_speech_without_the_wake_word_is_heard_but_not_accepted(
    env: dict[str, str], festival_wav, tmp_path: Path
) -> None:
    other, rate = read_wav(festival_wav("Мама, где мой телефон?", before=0.3, after=1.5))
    question, _ = read_wav(DEMO / "02_risovat.wav")
    wav = tmp_path / "two.wav"
    write_wav(wav, other + question, rate)

    events = records(listen(env, "--file", str(wav), "--json"))
    transcripts = [e for e in events if e["type"] == "transcript"]
    assert [t["accepted"] for t in transcripts] == [False, True]
    assert "телефон" in transcripts[0]["text"].lower()

    events = records(listen(env, "--file", str(wav), "--json", "--no-wake"))
    transcripts = [e for e in events if e["type"] == "transcript"]
    assert all(t["accepted"] for t in transcripts)
    assert "wake" not in [e["type"] for e in events]


@pytest.mark.slow
def test_plain_output_is_russian_text_with_timestamps(env: dict[str, str]) -> None:
    result = listen(env, "--file", str(DEMO / "02_risovat.wav"))
    assert result.exit_code == 0, result.output
    assert "речь началась" in result.stdout and "услышано «аня»" in result.stdout
    assert "«что ты любишь рисовать" in result.stdout.lower()
    assert "Фраз: 1, принято: 1" in result.stdout


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.wav", "не найден"),
        (lambda d: (d / "text.wav").write_text("not audio") and d / "text.wav", "не звуковой"),
    ],
    ids=["missing", "not-audio"],
)
def test_a_bad_file_is_one_clear_error_and_a_non_zero_exit(
    env: dict[str, str], tmp_path: Path, make, message: str
) -> None:
    result = listen(env, "--file", str(make(tmp_path)))
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_the_summary_names_the_wake_and_vad_engines_and_endpoint_delay(
    env: dict[str, str],
) -> None:
    events = records(listen(env, "--file", str(DEMO / "02_risovat.wav"), "--json"))
    ended = next(e for e in events if e["type"] == "speech_ended")
    assert ended["endpoint_ms"] == round((ended["decided_at"] - ended["end"]) * 1000)
    assert 250 <= ended["endpoint_ms"] <= 400  # end_silence_ms = 300 in this env
    done = events[-1]
    assert done["vad"] == "webrtc" and done["wake_engine"] in ("oww", "transcript")

    env = {**env, "KIOSK_LISTEN__WAKE_ENGINE": "transcript"}
    events = records(listen(env, "--file", str(DEMO / "02_risovat.wav"), "--json"))
    assert events[-1]["wake_engine"] == "transcript"
    assert [e["type"] for e in events].count("wake") == 1


def test_listen_without_a_file_or_subcommand_says_what_to_give(env: dict[str, str]) -> None:
    result = listen(env)
    assert result.exit_code == 2
    assert "kiosk listen --file WAV" in result.output


@pytest.mark.slow
def test_eval_wake_counts_a_call_and_a_ya_as_the_live_loop_judges_them(
    env: dict[str, str],
) -> None:
    pytest.importorskip("pymorphy3")
    if shutil.which("festival") is None or shutil.which("sox") is None:
        pytest.skip("needs festival and sox")
    result = listen(
        env, "eval-wake", "--wake", "Аня, давай поиграем.", "--other", "А я не знаю.",
        "--pitch", "150", "--json",
    )  # fmt: skip
    (tally,) = records(result)
    assert tally["set"] == "custom" and tally["wake_engine"] == "oww"
    assert (tally["wake_clips"], tally["other_clips"]) == (6, 6)  # 3 levels, clean and noisy
    assert tally["detected"] >= 5, tally["missed"]
    # The sound alone takes «А я» for «Аня»; the transcript's grammar says no.
    assert tally["false_by_sound"] >= 1 and tally["false_wakes"] == 0, tally
