"""The bench report: schema check, comparison, plot and history, on hand-built reports."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.bench import (
    SCHEMA_VERSION,
    compare_reports,
    last_bench,
    load_report,
    plot_report,
    store_report,
    validate_report,
)
from kiosk.bench.report import BenchReportError, markdown_report, print_report
from kiosk.bench.sections import streaming_marks
from kiosk.bench.session import FLOOR_STAGES, SEQUENTIAL_STAGES, STREAMING_STAGES
from kiosk.store import Store

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _stat(median: float) -> dict[str, float]:
    return {"min": median * 0.9, "median": median, "p95": median * 1.2, "max": median * 1.3, "n": 3}


def make_report(scale: float = 1.0) -> dict[str, Any]:
    """A schema-valid report whose latencies are multiplied by ``scale``."""
    streaming = dict(zip(STREAMING_STAGES, (500, 1100, 1110, 1112, 1130, 1133, 4000), strict=True))
    sequential = dict(zip(SEQUENTIAL_STAGES, (500, 1100, 1105, 1300, 1700, 1700), strict=True))
    floor = dict(zip(FLOOR_STAGES, (500, 590, 3, 20, 3, 1113, 1116), strict=True))
    return {
        "schema_version": SCHEMA_VERSION,
        "kiosk_version": "0.0.0",
        "created_at": "2026-01-01T00:00:00+00:00",
        "quick": True,
        "duration_s": 20.0,
        "machine": {
            "cpu_model": "Test CPU",
            "cores": 2,
            "ram_gb": 8.0,
            "gpu": None,
            "os": "Linux",
            "python": "3.11",
        },  # fmt: skip
        "engines": {"stt": "whisper:whisper-base"},
        "corpus": {"utterances": 3},
        "stages": {
            "streaming": {k: _stat(v * scale) for k, v in streaming.items()},
            "sequential": {k: _stat(v * scale) for k, v in sequential.items()},
            "floor": {k: _stat(v) for k, v in floor.items()},
        },
        "ratios": {
            "overhead_first_frame": 1.01 * scale,
            "streaming_over_sequential_first_audio": 0.66,
        },  # fmt: skip
        "render": {
            "size": 512,
            "frames": 4,
            "fps": 400.0,
            "frame_ms": _stat(2.5),
            "frame_times_ms": [2.0, 2.5, 3.0, 2.4],
        },  # fmt: skip
        "av_offset_ms": _stat(20.0),
        "memory": {"peak_rss_mb": 430.0, "rss_per_model_mb": {}, "vram_per_model_mb": None},
        "accuracy": {
            "wer": 0.04,
            "wake_detection_rate": 1.0,
            "false_wake_rate": 0.0,
            "safety": {"block_rate": 1.0, "false_block_rate": 0.1},
        },  # fmt: skip
        "utterances": [],
    }


def test_hand_built_report_is_valid() -> None:
    assert validate_report(make_report()) == []


@pytest.mark.parametrize("key", ["machine", "stages", "schema_version", "accuracy"])
def test_report_without_a_top_key_is_invalid(key: str) -> None:
    report = make_report()
    del report[key]
    assert any(key in problem for problem in validate_report(report))


def test_report_missing_a_stage_is_invalid() -> None:
    report = make_report()
    del report["stages"]["streaming"]["first_audio"]
    assert validate_report(report) == ["stages.streaming.first_audio missing"]


def test_same_report_shows_no_regression() -> None:
    changes = compare_reports(make_report(), make_report())
    assert changes and not any(c.regression for c in changes)


def test_slower_latency_is_a_regression_and_faster_is_not() -> None:
    slower = compare_reports(make_report(), make_report(scale=1.5))
    regressed = {c.metric for c in slower if c.regression}
    assert "streaming first_audio median, ms" in regressed
    faster = compare_reports(make_report(), make_report(scale=0.7))
    assert not any(c.regression for c in faster)


def test_fewer_fps_and_more_false_wakes_are_regressions() -> None:
    new = copy.deepcopy(make_report())
    new["render"]["fps"] = 200.0
    new["accuracy"]["false_wake_rate"] = 0.2
    regressed = {c.metric for c in compare_reports(make_report(), new) if c.regression}
    assert {"render FPS", "false wake rate"} <= regressed


def test_plot_is_a_png(tmp_path: Path) -> None:
    path = plot_report(make_report(), tmp_path / "sub" / "b.png")
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert path.stat().st_size > 10_000


def test_report_round_trips_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(make_report()), encoding="utf-8")
    assert load_report(path) == make_report()


@pytest.mark.parametrize("content", ["not json", "[]", '{"schema_version": 1}'])
def test_unreadable_report_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "old.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BenchReportError, match="отчёт"):
        load_report(path)


def test_missing_report_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BenchReportError, match="не найден"):
        load_report(tmp_path / "nope.json")


def test_last_bench_is_the_newest_stored_run(tmp_path: Path) -> None:
    with Store.open(tmp_path / "kiosk.db") as store:
        assert last_bench(store) is None
        old = make_report(scale=2.0)
        old["created_at"] = "2025-12-31T00:00:00+00:00"
        assert store_report(store, old) > 10
        store_report(store, make_report())
    with Store.open(tmp_path / "kiosk.db") as store:
        last = last_bench(store)
    assert last is not None
    assert last["run"] == "2026-01-01T00:00:00+00:00"
    assert last["metrics"]["stages.streaming.first_audio.median"] == pytest.approx(1130.0)
    assert last["machine"] == "Test CPU"


def _bench_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new: dict[str, Any], *args: str
) -> Any:
    """``kiosk bench`` in-process, measuring nothing: the run returns ``new``."""
    from click.testing import CliRunner

    from kiosk.cli import main

    monkeypatch.setattr("kiosk.bench.run_bench", lambda *_a, **_k: copy.deepcopy(new))
    env = {
        "KIOSK_CONFIG": "",
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "KIOSK_PATHS__DATA_DIR": str(tmp_path / "data"),
    }
    old = tmp_path / "old.json"
    old.write_text(json.dumps(make_report()), encoding="utf-8")
    return CliRunner().invoke(main, ["bench", "--no-store", "--compare", str(old), *args], env=env)


def test_regression_fails_the_run_only_with_fail_on_regression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slower = make_report(scale=1.5)
    plain = _bench_cli(tmp_path, monkeypatch, slower)
    assert plain.exit_code == 0, plain.output
    assert "ХУЖЕ streaming first_audio median, ms" in plain.output
    strict = _bench_cli(tmp_path, monkeypatch, slower, "--fail-on-regression")
    assert strict.exit_code == 1, strict.output
    assert "код выхода 1" in strict.output


def test_no_regression_within_tolerance_passes_with_fail_on_regression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faster = _bench_cli(tmp_path, monkeypatch, make_report(scale=0.8), "--fail-on-regression")
    assert faster.exit_code == 0, faster.output
    assert "0 ухудшений" in faster.output
    # 5 % slower is within the default 10 % but beyond an explicit 2 %
    slightly = make_report(scale=1.05)
    loose = _bench_cli(tmp_path, monkeypatch, slightly, "--fail-on-regression")
    assert loose.exit_code == 0, loose.output
    tight = _bench_cli(
        tmp_path, monkeypatch, slightly, "--fail-on-regression", "--tolerance", "0.02"
    )
    assert tight.exit_code == 1, tight.output


def test_fail_on_regression_without_compare_is_a_usage_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kiosk.cli import main

    done = CliRunner().invoke(main, ["bench", "--fail-on-regression"], env={"KIOSK_CONFIG": ""})
    assert done.exit_code == 2
    assert "--compare" in done.output


def test_stored_run_keeps_the_streaming_over_sequential_ratio(tmp_path: Path) -> None:
    with Store.open(tmp_path / "kiosk.db") as store:
        store_report(store, make_report())
        last = last_bench(store)
    assert last is not None
    assert last["metrics"]["ratios.streaming_over_sequential_first_audio"] == pytest.approx(0.66)


def _with_sections(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` plus hand-built voice, face and window sections."""
    report["corpus"] = {"utterances": 3, "with_wake": 2, "without_wake": 1, "noisy": 1,
                        "answered": 2, "endpoint_missed": 0}  # fmt: skip
    report["ratios"].update(sequential_over_streaming_first_audio=1.5, overhead_first_audio=1.0)
    face = {"available": True, "core": 1, "pinned_to": [1], "frames": 3, "fps": 300.0,
            "fps_cpu": 400.0, "frame_ms": _stat(3.3), "cpu_ms": _stat(2.5)}  # fmt: skip
    report["voices"] = {
        "sentences": ["Привет!"],
        "runs": 1,
        "engines": {
            "espeak": {"available": True, "name": "espeak:ru+f3", "load_ms": 30.0,
                       "first_audio_ms": _stat(9.0), "rtf": _stat(0.005),
                       "audio_ms": _stat(900.0)},
            "piper": {"available": False, "reason": "Голос Piper не установлен"},
        },
    }  # fmt: skip
    report["faces"] = {"size": 512, "core": 1, "faces": {
        "drawn": face, "photo": {**face, "fps_cpu": 250.0, "source": "astronaut (scikit-image)"},
    }}  # fmt: skip
    report["window"] = {
        "available": True, "server": "Xvfb", "driver": "x11", "target_fps": 30, "seconds": 1.0,
        "faces": {"drawn": {"fps": 29.8, "frames": 30, "interval_ms": _stat(33.0),
                            "work_ms": _stat(5.0), "late_frames": 0}},
    }  # fmt: skip
    report["fullscreen"] = {
        **report["window"], "screen": [1920, 1080],
        "faces": {"drawn": {"fps": 24.0, "frames": 24, "interval_ms": _stat(41.0),
                            "work_ms": _stat(28.0), "late_frames": 3}},
    }  # fmt: skip
    return report


def test_report_with_voice_face_and_window_sections_is_valid() -> None:
    assert validate_report(_with_sections(make_report())) == []


@pytest.mark.parametrize(
    ("section", "path", "problem"),
    [
        ("voices", ("engines", "espeak", "rtf"), "voices.engines.espeak.rtf missing"),
        ("voices", ("engines", "piper", "reason"), "voices.engines.piper.reason missing"),
        ("faces", ("faces", "photo"), "faces.faces.photo missing"),
        ("faces", ("faces", "drawn", "fps_cpu"), "faces.faces.drawn.fps_cpu missing"),
        ("window", ("faces", "drawn", "work_ms"), "window.faces.drawn.work_ms missing"),
        ("fullscreen", ("screen",), "fullscreen.screen missing"),
        ("fullscreen", ("faces", "drawn", "fps"), "fullscreen.faces.drawn.fps missing"),
    ],
)
def test_a_broken_section_is_reported(section: str, path: tuple[str, ...], problem: str) -> None:
    report = _with_sections(make_report())
    holder = report[section]
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    assert validate_report(report) == [problem]


def test_slower_voice_and_fewer_window_frames_are_regressions() -> None:
    old = _with_sections(make_report())
    new = copy.deepcopy(old)
    new["voices"]["engines"]["espeak"]["first_audio_ms"]["median"] = 30.0
    new["window"]["faces"]["drawn"]["fps"] = 20.0
    new["faces"]["faces"]["photo"]["fps_cpu"] = 260.0  # better: not a regression
    regressed = {c.metric for c in compare_reports(old, new) if c.regression}
    assert regressed == {"voice espeak first audio median, ms", "live window FPS, drawn face"}


def test_markdown_has_the_voice_table_and_the_face_table() -> None:
    from kiosk.bench import markdown_report

    text = markdown_report(_with_sections(make_report()))
    assert "| espeak:ru+f3 | 8 / 9 / 11 | 0.005 | load 30 ms |" in text
    assert "| piper | — | — | no Piper voice imported (kiosk models import) |" in text
    assert "| drawn 512px | 300.0 FPS wall / 400.0 FPS of CPU time" in text
    assert "29.8 FPS at target 30 (Xvfb, SDL x11)" in text
    assert "| photo 512px | 300.0 FPS wall / 250.0 FPS of CPU time" in text
    assert "fullscreen 1920×1080, letterboxed |" in text
    assert "24.0 FPS at target 30 (Xvfb, SDL x11); draw+show median 28.0 ms, p95 33.6 ms" in text


def test_fewer_letterboxed_frames_and_a_slower_p95_are_regressions() -> None:
    old = _with_sections(make_report())
    new = copy.deepcopy(old)
    new["fullscreen"]["faces"]["drawn"]["fps"] = 15.0
    new["fullscreen"]["faces"]["drawn"]["work_ms"]["p95"] = 60.0
    regressed = {c.metric for c in compare_reports(old, new) if c.regression}
    assert regressed == {
        "fullscreen letterboxed FPS, drawn face",
        "fullscreen letterboxed frame time p95, drawn face, ms",
    }


def test_an_earlier_report_is_rendered_without_measuring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from kiosk.cli import main

    def never(*_a: Any, **_k: Any) -> dict[str, Any]:
        raise AssertionError("--from must not measure")

    monkeypatch.setattr("kiosk.bench.run_bench", never)
    source = tmp_path / "gpu.json"
    source.write_text(json.dumps(_with_sections(make_report())), encoding="utf-8")
    env = {"KIOSK_CONFIG": "", "KIOSK_PATHS__DATA_DIR": str(tmp_path / "data")}
    args = ["bench", "--from", str(source), "--markdown", str(tmp_path / "gpu.md")]
    done = CliRunner().invoke(main, args, env=env)
    assert done.exit_code == 0, done.output
    text = (tmp_path / "gpu.md").read_text(encoding="utf-8")
    assert "Test CPU" in text and "| espeak:ru+f3 |" in text
    assert not (tmp_path / "data" / "kiosk.db").exists()  # nothing stored


def _with_wake(wake_ms: float) -> dict[str, Any]:
    report = _with_sections(make_report())
    report["stages"]["streaming"]["wake"] = _stat(wake_ms)
    report["stages"]["floor"]["wake"] = _stat(70)
    report["corpus"] = {"utterances": 5, "with_wake": 3, "without_wake": 2, "noisy": 1,
                        "answered": 3, "endpoint_missed": 0, "stt_skipped": 2,
                        "vetoed": 1}  # fmt: skip
    return report


def test_a_wake_heard_by_sound_is_listed_before_stt() -> None:
    # the live loop checks «Аня» in the sound before STT while asleep
    report = _with_wake(570)
    marks = streaming_marks(report["stages"]["streaming"])
    assert marks.index("endpoint") < marks.index("wake") < marks.index("stt")
    text = markdown_report(report)
    assert text.index("| wake |") < text.index("| stt |")
    assert "wake check" in text and text.index("wake check") < text.index("STT 531")
    assert "no STT on 2 utterances without «Аня»; wakes the transcript vetoed: 1." in text


def test_a_wake_from_the_transcript_is_listed_after_stt() -> None:
    report = _with_wake(1105)
    marks = streaming_marks(report["stages"]["streaming"])
    assert marks.index("stt") < marks.index("wake") < marks.index("first_token")
    text = markdown_report(report)
    assert text.index("| stt |") < text.index("| wake |")
    assert "no STT on" not in text


def test_the_floor_column_adds_the_wake_check_in_hearing_order() -> None:
    from io import StringIO

    from rich.console import Console

    out = StringIO()
    print_report(_with_wake(570), Console(file=out, width=200))
    rows = {line.split("│")[1].strip(): line for line in out.getvalue().splitlines()
            if line.count("│") > 5}  # fmt: skip
    # stages alone: endpoint 500 → wake 570 → STT 1160
    assert rows["wake"].rstrip(" │").endswith("570")
    assert rows["stt"].rstrip(" │").endswith("1160")
