"""``kiosk chat``: the text ChatInterface through the same brain, stored turn by turn."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.paths import Paths


def chat(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["chat", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_chat_once_answers_in_russian_in_persona_and_stores_the_turn(kiosk_env: Paths) -> None:
    answer = chat("--once", "Привет! Как тебя зовут?", "--json")
    assert "Аня" in answer["reply"]
    assert answer["engine"] == "scripted"
    assert answer["persona"] == "anya"
    assert {"first_token", "first_sentence", "reply_done", "done"} <= answer["timings_ms"].keys()
    assert answer["timings_ms"]["first_token"] <= answer["timings_ms"]["done"]
    with sqlite3.connect(kiosk_env.database) as db:
        rows = db.execute("select role, text, timings from turns order by id").fetchall()
    assert [r[0] for r in rows] == ["child", "avatar"]
    assert rows[0][1] == "Привет! Как тебя зовут?"
    assert rows[1][1] == answer["reply"]
    assert "first_sentence" in json.loads(rows[1][2])


def test_unsafe_input_is_redirected_gently(kiosk_env: Paths) -> None:
    answer = chat("--once", "скажи мне свой домашний адрес и пароль", "--json")
    assert answer["safety"] != "ok"
    assert answer["reply"]


def test_interactive_chat_keeps_one_conversation(kiosk_env: Paths) -> None:
    result = CliRunner().invoke(main, ["chat"], input="Привет!\nРасскажи загадку\nвыход\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Аня:") >= 3  # greeting + two answers
    with sqlite3.connect(kiosk_env.database) as db:
        conversations = db.execute("select count(distinct conversation_id) from turns").fetchone()[
            0
        ]
        turns = db.execute("select count(*) from turns").fetchone()[0]
    assert conversations == 1
    assert turns == 4


def test_missing_llm_model_is_a_clear_error(
    kiosk_env: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_BRAIN__ENGINE", "llm")
    monkeypatch.setenv("KIOSK_BRAIN__LLM_MODEL", "qwen3-4b-instruct-2507")
    result = CliRunner().invoke(main, ["chat", "--once", "Привет"])
    assert result.exit_code == 4, result.output
    assert "kiosk models import" in result.output
    assert "Traceback" not in result.output


def test_unwritable_data_dir_is_a_clear_error(
    kiosk_env: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KIOSK_PATHS__DATA_DIR", str(blocker / "data"))
    result = CliRunner().invoke(main, ["chat", "--once", "Привет"])
    assert result.exit_code == 3, result.output
    assert "paths.data_dir" in result.output


def test_empty_message_is_refused(kiosk_env: Paths) -> None:
    result = CliRunner().invoke(main, ["chat", "--once", "   "])
    assert result.exit_code != 0


@pytest.mark.slow
def test_chat_goes_through_llama_cpp_when_a_gguf_is_chosen(
    kiosk_env: Paths, smollm2_gguf: Path
) -> None:
    """The packaged SmolLM2 GGUF (English-only) exercises the real llama.cpp path."""
    import os
    import subprocess
    import sys

    run_env = {**os.environ, "KIOSK_BRAIN__ENGINE": "llm", "KIOSK_BRAIN__MAX_TOKENS": "40"}
    imported = subprocess.run(
        [sys.executable, "-m", "kiosk", "models", "import", str(smollm2_gguf)],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    run_env["KIOSK_BRAIN__LLM_MODEL"] = "smollm2-135m-instruct"
    # A subprocess, so a crash in native code fails this test instead of the run.
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "chat", "--once", "Hello! What is your name?", "--json"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["engine"].startswith("llm:")
    assert answer["reply"].strip()
    assert answer["timings_ms"]["first_token"] < answer["timings_ms"]["done"]


def test_json_answer_carries_the_childs_mood(kiosk_env: Paths) -> None:
    answer = chat("--once", "Мне очень грустно, меня обидели", "--json")
    assert answer["mood"] == "sad"
    assert answer["emotion"] == "sad"
    assert chat("--once", "Какого цвета небо?", "--json")["mood"] == "neutral"


def test_interactive_reply_shows_the_emotion_as_an_emoji(kiosk_env: Paths) -> None:
    result = CliRunner().invoke(main, ["chat"], input="Мне грустно\nвыход\n")
    assert result.exit_code == 0, result.output
    reply = [line for line in result.output.splitlines() if line.startswith("Аня:")][-1]
    assert reply.endswith(" 😢")
    assert reply.count("😢") == 1


def test_format_reply_adds_one_emoji_and_none_for_neutral() -> None:
    from kiosk.brain.emotion import EMOTIONS
    from kiosk.cli.chat import EMOTION_EMOJI, format_reply

    assert set(EMOTION_EMOJI) == set(EMOTIONS) - {"neutral"}
    assert format_reply("Аня", "Ура!", "happy") == "Аня: Ура! 😊"
    assert format_reply("Аня", "Ура! 😊", "happy") == "Аня: Ура! 😊"
    assert format_reply("Аня", "Понятно.", "neutral") == "Аня: Понятно."


def test_history_shows_the_last_turns_of_the_previous_conversation(kiosk_env: Paths) -> None:
    first = CliRunner().invoke(
        main, ["chat"], input="Меня зовут Маша\nРасскажи загадку\nМне грустно\nвыход\n"
    )
    assert first.exit_code == 0, first.output
    result = CliRunner().invoke(main, ["chat", "--history", "2"], input="Привет!\nвыход\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Прошлый разговор" in line)
    assert lines[start + 1] == "Ты: Мне грустно"
    assert lines[start + 2].startswith("Аня:") and lines[start + 2].endswith("😢")
    assert "Сейчас" in lines[start + 3]
    assert "Меня зовут Маша" not in result.output  # only the last 2 turns
    assert "Расскажи загадку" not in result.output


def test_history_on_a_fresh_kiosk_says_there_is_none_and_default_shows_none(
    kiosk_env: Paths,
) -> None:
    result = CliRunner().invoke(main, ["chat", "--history", "5"], input="выход\n")
    assert result.exit_code == 0, result.output
    assert "Прошлых разговоров пока нет" in result.output
    CliRunner().invoke(main, ["chat"], input="Привет!\nвыход\n")
    plain = CliRunner().invoke(main, ["chat"], input="выход\n")
    assert plain.exit_code == 0, plain.output
    assert len(plain.output.strip().splitlines()) == 2  # header and greeting only


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Меня бьют дома", "abuse"),
        ("Я не хочу жить", "self_harm"),
        ("Незнакомец позвал меня к себе домой", "danger"),
        ("Мне угрожают в чате", "danger"),
        ("Меня травят в школе", "bullying"),
    ],
)
def test_disclosure_is_answered_warmly_and_the_parent_sees_the_alert(
    kiosk_env: Paths, text: str, kind: str
) -> None:
    from kiosk.admin.data import safety_alerts
    from kiosk.store import Store

    answer = chat("--once", text, "--json")
    assert answer["safety"] == kind
    assert "взрослому, которому ты доверяешь" in answer["reply"]
    assert answer["emotion"] == "concern"
    if kind == "self_harm":
        assert "8-800-2000-122" in answer["reply"]
    with Store.open(kiosk_env.database) as store:
        alerts = safety_alerts(store)
        turns = store.recent_turns(2)
    assert [(a.category, a.child_text, a.reply) for a in alerts] == [(kind, text, answer["reply"])]
    assert [t.safety for t in turns] == ["ok", kind]


def test_with_parent_alerts_off_the_child_still_gets_support_but_no_alert(
    kiosk_env: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.admin.data import safety_alerts
    from kiosk.store import Store

    monkeypatch.setenv("KIOSK_BRAIN__PARENT_ALERTS", "false")
    answer = chat("--once", "Меня бьют дома", "--json")
    assert "взрослому" in answer["reply"]
    assert answer["safety"] == "ok"
    with Store.open(kiosk_env.database) as store:
        assert safety_alerts(store) == []


def test_strict_level_steers_away_from_horror_that_standard_allows(
    kiosk_env: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert chat("--once", "Расскажи страшилку", "--json")["safety"] == "ok"
    monkeypatch.setenv("KIOSK_BRAIN__SAFETY_LEVEL", "strict")
    answer = chat("--once", "Расскажи страшилку", "--json")
    assert answer["safety"] == "horror"
    assert "загадку" in answer["reply"]
