"""``kiosk bench --quick`` end to end on the embedded defaults, in a throwaway data dir."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.bench import last_bench, validate_report
from kiosk.bench.session import STREAMING_STAGES
from kiosk.store import Store

pytestmark = pytest.mark.slow

# Marks that must come in this order (each ≥ the one before), per utterance and as medians.
ORDER = ("endpoint", "stt", "first_token", "first_sentence", "first_audio", "first_frame",
         "reply_end")  # fmt: skip


def _kiosk(env: dict[str, str], root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``kiosk`` with ``env`` (from ``kiosk_env_vars(root)``) and ``root``'s config file."""
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(root / "kiosk.toml"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def bench_run(
    tmp_path_factory: pytest.TempPathFactory,
    whisper_base_dir: Path,
    kiosk_env_vars: Callable[[Path], dict[str, str]],
) -> tuple[dict[str, Any], Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("bench")
    (root / "kiosk.toml").write_text(f'[stt]\nmodel = "{whisper_base_dir}"\n', encoding="utf-8")
    done = _kiosk(kiosk_env_vars(root), root, "bench", "--quick", "--json", str(root / "b.json"),
                  "--plot", str(root / "b.png"))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    return json.loads((root / "b.json").read_text(encoding="utf-8")), root, done


def test_report_follows_the_schema(bench_run: tuple[dict[str, Any], Path, Any]) -> None:
    report, _, _ = bench_run
    assert validate_report(report) == []
    assert report["quick"] is True
    assert report["machine"]["cores"] >= 1 and report["machine"]["cpu_model"]
    assert report["engines"]["stt"].startswith("whisper")
    assert report["engines"]["brain"]


def test_quick_bench_finishes_in_under_a_minute(
    bench_run: tuple[dict[str, Any], Path, Any],
) -> None:
    report = bench_run[0]
    # The bench's photo avatar is prepared once per data dir, then cached.
    once = report["faces"]["faces"]["photo"].get("prepare_s", 0.0)
    assert 0 < report["cpu_s"] and report["load_avg"]["start"] >= 0
    if report["load_avg"]["start"] < report["machine"]["cores"]:
        assert report["duration_s"] - once < 60.0
    else:  # a machine busy with other work stretches wall time: its CPU work must fit
        assert report["cpu_s"] - once < 60.0


def test_every_stage_figure_is_measured_and_positive(
    bench_run: tuple[dict[str, Any], Path, Any],
) -> None:
    report, _, _ = bench_run
    assert report["corpus"]["answered"] >= 2
    for shape, stages in report["stages"].items():
        for stage, stat in stages.items():
            assert stat["n"] >= 2, (shape, stage)
            for key in ("min", "median", "p95", "max"):
                assert stat[key] > 0, (shape, stage, key)
            assert stat["min"] <= stat["median"] <= stat["p95"] <= stat["max"]


def test_marks_come_in_pipeline_order(bench_run: tuple[dict[str, Any], Path, Any]) -> None:
    report, _, _ = bench_run
    answered = [u for u in report["utterances"] if u["floor_ms"]]
    assert answered
    acoustic = "acoustic" in report["engines"]["wake"]
    for utt in answered:
        marks = [utt["streaming_ms"][k] for k in ORDER]
        assert marks == sorted(marks), utt["id"]
        stream, seq = utt["streaming_ms"], utt["sequential_ms"]
        if acoustic:  # asleep, the live loop hears «Аня» in the sound before any STT
            assert stream["endpoint"] <= stream["wake"] <= stream["stt"], utt["id"]
            assert seq["endpoint"] <= seq["wake"] <= seq["stt"], utt["id"]
        else:  # a transcript keyword: checked between the transcript and the brain
            assert stream["stt"] <= stream["wake"] <= stream["first_token"], utt["id"]
        assert seq["endpoint"] <= seq["stt"] <= seq["reply_done"] <= seq["tts_done"]
        assert seq["tts_done"] <= seq["render_done"] == seq["first_audio"]
        floor = utt["floor_ms"]
        assert floor["sum"] >= floor["first_audio_sum"] >= floor["stt"] + floor["endpoint"]
        assert floor["first_audio_sum"] >= floor["stt"] + floor["endpoint"] + floor["wake"]
    medians = [report["stages"]["streaming"][k]["median"] for k in STREAMING_STAGES]
    assert medians == sorted(medians)


def test_speech_without_the_name_gets_no_stt(bench_run: tuple[dict[str, Any], Path, Any]) -> None:
    report, _, _ = bench_run
    if "acoustic" not in report["engines"]["wake"]:
        pytest.skip("a transcript wake detector needs STT on every utterance")
    unwoken = [u for u in report["utterances"] if not u["woke"]]
    assert unwoken, "the quick corpus has phrases that must not wake the kiosk"
    for utt in unwoken:
        # not answered; STT skipped unless the sound heard «Аня» and the transcript vetoed it
        assert not utt["streaming_ms"] and utt["stt_skipped"] != utt["vetoed"], utt["id"]
    assert report["corpus"]["stt_skipped"] == sum(u["stt_skipped"] for u in unwoken) >= 1
    # the word error rate still covers them: their text is transcribed outside the timing
    assert all(u["heard"] for u in unwoken)


def test_ratios_and_rates_are_measured(bench_run: tuple[dict[str, Any], Path, Any]) -> None:
    report, _, _ = bench_run
    ratios = report["ratios"]
    assert 0.2 < ratios["streaming_over_sequential_first_audio"] < 1.5
    assert 0.5 < ratios["overhead_first_frame"] < 3.0
    assert 0.5 < ratios["overhead_first_audio"] < 3.0
    acc = report["accuracy"]
    assert acc["wake_detection_rate"] >= 0.6
    assert acc["false_wake_rate"] <= 0.5
    assert 0.0 <= acc["wer"] < 0.5
    assert report["render"]["fps"] > 10 and report["render"]["frames"] >= 60
    assert report["memory"]["peak_rss_mb"] > 100
    assert report["memory"]["rss_per_model_mb"]["stt"] > 10
    assert report["machine"]["gpu"] is None or report["memory"]["vram_per_model_mb"] is not None
    assert abs(report["av_offset_ms"]["median"]) <= 100


def test_first_audio_and_frame_are_no_faster_than_their_parts(
    bench_run: tuple[dict[str, Any], Path, Any],
) -> None:
    report = bench_run[0]
    answered = [u for u in report["utterances"] if u["floor_ms"] and not u["endpoint_missed"]]
    assert len(answered) >= 2
    frame_interval = 1000.0 / report["render"]["frame_loop_fps"]
    for utt in answered:
        stream, floor = utt["streaming_ms"], utt["floor_ms"]
        # First audio is endpoint + wake + STT + brain to first sentence + its TTS in series;
        # each part was timed alone on the same input (another run of it: 10 % + 20 ms noise).
        assert stream["first_audio"] >= 0.9 * floor["first_audio_sum"] - 20.0, utt["id"]
        # The frame loop shows the first sample's frame at its next tick: never before the
        # sound, at most a frame interval plus drawing (and a loaded machine's slack) after.
        gap = stream["first_frame"] - stream["first_audio"]
        assert -1.0 <= gap <= frame_interval + floor["first_frame"] + 150.0, utt["id"]
    ratios, floor_median = report["ratios"], report["stages"]["floor"]
    stream_fa = report["stages"]["streaming"]["first_audio"]["median"]
    assert ratios["overhead_first_audio"] >= 0.9
    assert ratios["overhead_first_frame"] >= 0.9
    assert stream_fa >= 0.9 * floor_median["first_audio_sum"]["median"] - 20.0
    # The ratios are the medians' quotients, not numbers from elsewhere.
    assert ratios["overhead_first_audio"] == pytest.approx(
        stream_fa / floor_median["first_audio_sum"]["median"], rel=0.25
    )


def test_voice_engines_are_measured_side_by_side(
    bench_run: tuple[dict[str, Any], Path, Any],
) -> None:
    report, _, _ = bench_run
    voices = report["voices"]
    assert voices["sentences"] and voices["runs"] >= 1
    engines = voices["engines"]
    assert engines["espeak"]["available"]
    if shutil.which("text2wave"):
        assert engines["festival"]["available"]
    for kind, figures in engines.items():
        if not figures["available"]:
            assert figures["reason"], kind
            continue
        for key in ("first_audio_ms", "rtf", "audio_ms"):
            stat = figures[key]
            assert stat["n"] == len(voices["sentences"]) * voices["runs"], (kind, key)
            assert 0 < stat["min"] <= stat["median"] <= stat["p95"] <= stat["max"], (kind, key)
    # The configured engine's first sentence is part of the whole first-audio latency.
    configured = engines["espeak"]["first_audio_ms"]["median"]
    assert configured < report["stages"]["streaming"]["first_audio"]["median"]


def test_each_face_is_measured_on_one_core_and_in_a_live_window(
    bench_run: tuple[dict[str, Any], Path, Any],
) -> None:
    report, _, _ = bench_run
    faces = report["faces"]
    assert faces["size"] == report["render"]["size"]
    measured = {n: f for n, f in faces["faces"].items() if f["available"]}
    assert "drawn" in measured
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        pass
    else:
        assert "photo" in measured, faces["faces"]["photo"]
    for name, face in measured.items():
        assert face["pinned_to"] == [faces["core"]], name
        assert face["fps"] > 10 and face["fps_cpu"] >= face["fps"] * 0.95, name
        assert face["frame_ms"]["n"] == face["frames"] >= 60
    window = report["window"]
    assert window["available"], window
    assert window["driver"] == ("x11" if shutil.which("Xvfb") else "dummy")
    assert set(window["faces"]) == set(measured)
    for name, shown in window["faces"].items():
        # Paced at the configured rate; never faster than the same face offscreen.
        assert 0.5 * window["target_fps"] <= shown["fps"] <= 1.05 * window["target_fps"], name
        assert shown["fps"] <= measured[name]["fps"]
        assert 0 < shown["work_ms"]["median"] <= shown["interval_ms"]["max"], name
    full = report["fullscreen"]
    assert full["available"], full
    assert full["screen"] == [1920, 1080] and full["driver"] == window["driver"]
    assert set(full["faces"]) == set(measured)
    for name, shown in full["faces"].items():
        assert 0 < shown["fps"] <= 1.05 * full["target_fps"], name
        assert 0 < shown["work_ms"]["median"] <= shown["work_ms"]["p95"], name


def test_safety_figures_come_from_the_brains_prompt_sets(
    bench_run: tuple[dict[str, Any], Path, Any],
) -> None:
    safety = bench_run[0]["accuracy"]["safety"]
    assert safety["level"] == "standard"
    assert safety["unsafe"] >= 20 and safety["safe"] >= 20
    assert set(safety["levels"]) == {"standard", "strict"}
    assert safety["block_rate"] == safety["levels"]["standard"]["block_rate"]


def test_plot_is_a_valid_png(bench_run: tuple[dict[str, Any], Path, Any]) -> None:
    data = (bench_run[1] / "b.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 800 and height >= 300


def test_table_is_printed(bench_run: tuple[dict[str, Any], Path, Any]) -> None:
    out = bench_run[2].stdout
    assert "first_audio" in out and "FPS" in out
    assert "голос espeak" in out and "на ядре" in out and "окно" in out
    assert "весь экран 1920×1080 с полями" in out


def test_result_is_stored_in_the_database(bench_run: tuple[dict[str, Any], Path, Any]) -> None:
    report, root, _ = bench_run
    with Store.open(root / "d" / "kiosk.db") as store:
        last = last_bench(store)
    assert last is not None and last["run"] == report["created_at"]
    median = report["stages"]["streaming"]["first_audio"]["median"]
    assert last["metrics"]["stages.streaming.first_audio.median"] == pytest.approx(median)


def test_compare_lists_regressions_against_a_faster_old_run(
    bench_run: tuple[dict[str, Any], Path, Any], kiosk_env_vars: Callable[[Path], dict[str, str]]
) -> None:
    report, root, _ = bench_run
    faster = json.loads(json.dumps(report))
    for stat in faster["stages"]["streaming"].values():
        stat["median"] = stat["median"] / 3
    old = root / "old.json"
    old.write_text(json.dumps(faster), encoding="utf-8")
    done = _kiosk(kiosk_env_vars(root), root, "bench", "--quick", "--no-store", "--json", "-",
                  "--compare", str(old), "--fail-on-regression")  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    assert validate_report(json.loads(done.stdout)) == []
    assert "ХУЖЕ streaming first_audio median, ms" in done.stderr
    assert "ухудшений" in done.stderr and "код выхода 1" in done.stderr


def test_compare_with_a_broken_file_fails_before_measuring(
    bench_run: tuple[dict[str, Any], Path, Any], kiosk_env_vars: Callable[[Path], dict[str, str]]
) -> None:
    root = bench_run[1]
    broken = root / "broken.json"
    broken.write_text("{", encoding="utf-8")
    done = _kiosk(kiosk_env_vars(root), root, "bench", "--quick", "--compare", str(broken))
    assert done.returncode == 2
    assert "отчёт" in done.stderr and "Замеряю" not in done.stderr + done.stdout
