"""The README's performance table: made from a report, written only between its markers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_report import _with_sections, make_report

from kiosk.bench.readme import (
    README_END,
    README_START,
    ReadmeMarkersError,
    readme_block,
    refresh_readme,
    replace_between_markers,
)

BEFORE = "# Kiosk\n\n## Performance\n\nIntro kept as is.\n\n"
AFTER = "\n\nHearing figures, written by hand:\n\n| figure | value |\n|---|---|\n| x | 1 |\n"


def _readme(inside: str = "| figure | value |\n|---|---|\n| old | 9 s |") -> str:
    return f"{BEFORE}{README_START}\n{inside}\n{README_END}{AFTER}"


def _report() -> dict[str, Any]:
    report = _with_sections(make_report())
    report["engines"].update(brain="scripted", voice="espeak:ru+f3")
    report["render"]["frame_loop_fps"] = 30
    report["load_avg"] = {"start": 2.5, "end": 3.1}
    report["accuracy"]["safety"].update(unsafe=108, safe=114, level="standard")
    return report


def test_block_is_made_from_the_reports_figures() -> None:
    block = readme_block(_report())
    assert block.startswith("Measured by `kiosk bench --quick` on Test CPU, 2 cores, no GPU")
    assert "load average 2.5–3.1" in block
    lines = block.splitlines()
    assert "| figure | value |" in lines
    row = {line.split(" | ")[0][2:]: line for line in lines if line.startswith("| ")}
    assert "1.13 s" in row["end of the child's speech → first audio (median, streaming)"]
    frame = row["end of speech → first lip-synced frame on screen (median, frame loop at 30 FPS)"]
    assert frame.endswith("| 1.13 s |")
    assert "| 0.66 |" in row["streaming / sequential baseline, same run"]
    assert (
        "drawn 24.0 FPS (frame p95 34 ms)"
        in row["fullscreen 1920×1080 letterboxed (daemon frame loop)"]
    )
    assert (
        "espeak:ru+f3 9 ms" in row["time to first audio per voice engine (first sentence, median)"]
    )


def test_only_the_lines_between_the_markers_change() -> None:
    new = replace_between_markers(_readme(), "NEW TABLE\n")
    assert new == f"{BEFORE}{README_START}\nNEW TABLE\n{README_END}{AFTER}"
    again = replace_between_markers(new, "NEWER\n")
    assert again.startswith(BEFORE) and again.endswith(AFTER)
    assert "NEW TABLE" not in again and "NEWER" in again


@pytest.mark.parametrize(
    "text",
    [
        "no markers at all\n",
        f"{README_START}\nonly the start\n",
        f"{README_END}\nbackwards\n{README_START}\n",
        _readme() + _readme(),
    ],
    ids=["none", "no-end", "out-of-order", "twice"],
)
def test_missing_or_misplaced_markers_are_a_clear_error(text: str) -> None:
    with pytest.raises(ReadmeMarkersError, match="bench:end"):
        replace_between_markers(text, "x")


def test_refresh_rewrites_the_file_in_place(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(_readme(), encoding="utf-8")
    refresh_readme(readme, _report())
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(BEFORE + README_START + "\nMeasured by `kiosk bench --quick`")
    assert text.endswith(README_END + AFTER)
    assert "| old | 9 s |" not in text
    assert list(tmp_path.iterdir()) == [readme]  # no temporary file left behind


def test_cli_refreshes_the_readme_from_a_report_without_measuring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from kiosk.cli import main

    def never(*_a: Any, **_k: Any) -> dict[str, Any]:
        raise AssertionError("--from must not measure")

    monkeypatch.setattr("kiosk.bench.run_bench", never)
    source, readme = tmp_path / "b.json", tmp_path / "README.md"
    source.write_text(json.dumps(_report()), encoding="utf-8")
    readme.write_text(_readme(), encoding="utf-8")
    env = {"KIOSK_CONFIG": "", "KIOSK_PATHS__DATA_DIR": str(tmp_path / "data")}
    done = CliRunner().invoke(
        main, ["bench", "--from", str(source), "--readme", str(readme)], env=env
    )
    assert done.exit_code == 0, done.output
    text = readme.read_text(encoding="utf-8")
    assert "Test CPU" in text and text.endswith(README_END + AFTER)


def test_cli_checks_the_markers_before_measuring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from kiosk.cli import main

    def never(*_a: Any, **_k: Any) -> dict[str, Any]:
        raise AssertionError("a README without markers must fail before the bench runs")

    monkeypatch.setattr("kiosk.bench.run_bench", never)
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    env = {"KIOSK_CONFIG": "", "KIOSK_PATHS__DATA_DIR": str(tmp_path / "data")}
    done = CliRunner().invoke(main, ["bench", "--no-store", "--readme", str(readme)], env=env)
    assert done.exit_code == 2, done.output
    assert "bench:start" in done.output
    assert readme.read_text(encoding="utf-8") == "# no markers\n"
