"""The README's performance table, made from a bench report and written between its markers.

``kiosk bench --from b.json --readme README.md`` rewrites only what lies between
``<!-- bench:start -->`` and ``<!-- bench:end -->``; the rest of the file is kept
byte for byte.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kiosk.bench.sections import safety_markdown
from kiosk.errors import KioskError

__all__ = [
    "README_END",
    "README_START",
    "ReadmeMarkersError",
    "readme_block",
    "refresh_readme",
    "replace_between_markers",
]

README_START = "<!-- bench:start -->"
"""The line before the generated block."""
README_END = "<!-- bench:end -->"
"""The line after the generated block."""


class ReadmeMarkersError(KioskError):
    """The file lacks the bench markers, or has them more than once or out of order."""

    exit_code = 2


def _median(stat: dict[str, Any] | None) -> float | None:
    return stat.get("median") if stat and stat.get("n") else None


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000.0:.2f} s" if value >= 1000.0 else f"{value:.0f} ms"


def _faces(section: dict[str, Any] | None, key: str, p95: bool = False) -> str:
    """``drawn 29.9 FPS · photo 29.6 FPS`` (with p95 frame time) from a face section."""
    if not section or not section.get("available", True):
        reason = section.get("reason") if section else None
        return "not measured" + (f" ({reason})" if reason else "")
    parts = []
    for name, face in section.get("faces", {}).items():
        if not face.get("available", True) or face.get(key) is None:
            continue
        text = f"{name} {face[key]} FPS"
        if p95 and face.get("work_ms", {}).get("n"):
            text += f" (frame p95 {face['work_ms']['p95']:.0f} ms)"
        parts.append(text)
    return " · ".join(parts) or "—"


def _voices(report: dict[str, Any]) -> str:
    engines = report.get("voices", {}).get("engines", {})
    parts = [
        f"{v['name']} {_ms(_median(v.get('first_audio_ms')))}"
        for v in engines.values()
        if v.get("available")
    ]
    return " · ".join(parts) or "—"


def readme_block(report: dict[str, Any]) -> str:
    """The README's performance paragraph and table for ``report`` (no markers)."""
    m, st, r = report["machine"], report["stages"]["streaming"], report["ratios"]
    gpu = m["gpu"]["name"] if m.get("gpu") else "no GPU"
    load = report.get("load_avg")
    load_md = f", load average {load['start']}–{load['end']}" if load else ""
    window, full = report.get("window") or {}, report.get("fullscreen") or {}
    rows = [
        ("end of the child's speech → first audio (median, streaming)",
         f"{_ms(_median(st.get('first_audio')))} (endpoint {_ms(_median(st.get('endpoint')))}, "
         f"STT done at {_ms(_median(st.get('stt')))})"),
        (f"end of speech → first lip-synced frame on screen (median, frame loop at "
         f"{report['render'].get('frame_loop_fps', '?')} FPS)",
         _ms(_median(st.get("first_frame")))),
        ("streaming / sequential baseline, same run",
         str(r.get("streaming_over_sequential_first_audio"))),
        ("orchestration overhead (first audio / sum of its stages alone; first frame / floor)",
         f"{r.get('overhead_first_audio')} · {r.get('overhead_first_frame')}"),
        ("time to first audio per voice engine (first sentence, median)", _voices(report)),
        (f"avatar render, {report['render']['size']} px, one pinned core (CPU time)",
         _faces(report.get("faces"), "fps_cpu")),
        (f"live window ({window.get('server') or 'no X'}, daemon frame loop, target "
         f"{window.get('target_fps', '?')} FPS)", _faces(window, "fps", p95=True)),
        (f"fullscreen {'×'.join(map(str, full.get('screen', ['?'])))} letterboxed "
         "(daemon frame loop)",
         _faces(full, "fps", p95=True)),
        ("A/V offset, mouth after sound (median)", _ms(_median(report.get("av_offset_ms")))),
        ("peak memory (RSS)", f"{report['memory']['peak_rss_mb']:.0f} MiB"),
        ("safety filter (the brain's evaluation sets)",
         safety_markdown(report["accuracy"]["safety"])),
    ]  # fmt: skip
    lines = [
        f"Measured by `kiosk bench{' --quick' if report.get('quick') else ''}` on "
        f"{m['cpu_model']}, {m['cores']} cores, {gpu}{load_md}, {report['created_at']}; "
        f"engines: {report['engines'].get('stt')}, {report['engines'].get('brain')}, "
        f"{report['engines'].get('voice')}. The full report, plot and method are in "
        "[`docs/performance.md`](docs/performance.md).",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {figure} | {value} |" for figure, value in rows),
    ]
    return "\n".join(lines)


def replace_between_markers(text: str, block: str) -> str:
    """``text`` with everything between the marker lines replaced by ``block``."""
    starts, ends = text.count(README_START), text.count(README_END)
    if starts != 1 or ends != 1:
        raise ReadmeMarkersError(
            f"нужно ровно по одной метке {README_START} и {README_END}, "
            f"а в файле их {starts} и {ends}",
            f"обрамите таблицу строками {README_START} и {README_END}",
        )
    head, rest = text.split(README_START)
    if README_END not in rest:
        raise ReadmeMarkersError(f"метка {README_END} стоит раньше {README_START}")
    tail = rest.split(README_END)[1]
    return f"{head}{README_START}\n{block.strip()}\n{README_END}{tail}"


def refresh_readme(path: Path, report: dict[str, Any]) -> Path:
    """Rewrite the block between the markers in ``path`` from ``report``, atomically."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReadmeMarkersError(f"не читается {path}: {exc.strerror}") from exc
    updated = replace_between_markers(text, readme_block(report))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(updated, encoding="utf-8")
    tmp.replace(path)
    return path
