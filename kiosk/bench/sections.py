"""The report's voice, face and window sections: their schema check, table and Markdown.

These sections were added after schema 1 was fixed, so a report without them (an
older ``--compare`` file) is still valid; when present they are checked.
"""

from __future__ import annotations

from typing import Any

from kiosk.bench.session import STREAMING_STAGES

__all__ = [
    "SECTION_KEYS",
    "streaming_marks",
    "wake_first",
    "load_note",
    "plot_voices",
    "safety_markdown",
    "section_lines",
    "section_markdown",
    "validate_sections",
]

SECTION_KEYS = ("voices", "faces", "window", "fullscreen")
"""Top-level keys of the sections this module covers."""
_STAT_KEYS = ("min", "median", "p95", "max", "n")


def _check_stat(stat: Any, where: str) -> list[str]:
    if not isinstance(stat, dict) or "n" not in stat:
        return [f"{where} missing"]
    if not stat["n"]:
        return []
    return [f"{where}.{k} missing" for k in _STAT_KEYS if k not in stat]


def validate_sections(report: dict[str, Any]) -> list[str]:
    """Problems with the voice, face and window sections present in ``report``."""
    problems: list[str] = []
    voices = report.get("voices")
    if voices is not None:
        engines = voices.get("engines") if isinstance(voices, dict) else None
        if not isinstance(engines, dict) or "espeak" not in engines:
            problems.append("voices.engines.espeak missing")
        for kind, figures in (engines or {}).items():
            if figures.get("available"):
                if "name" not in figures:
                    problems.append(f"voices.engines.{kind}.name missing")
                for key in ("first_audio_ms", "rtf", "audio_ms"):
                    problems += _check_stat(figures.get(key), f"voices.engines.{kind}.{key}")
            elif "reason" not in figures:
                problems.append(f"voices.engines.{kind}.reason missing")
    faces = report.get("faces")
    if faces is not None:
        for name in ("drawn", "photo"):
            face = faces.get("faces", {}).get(name) if isinstance(faces, dict) else None
            if face is None:
                problems.append(f"faces.faces.{name} missing")
            elif face.get("available"):
                for key in ("frame_ms", "cpu_ms"):
                    problems += _check_stat(face.get(key), f"faces.faces.{name}.{key}")
                problems += [f"faces.faces.{name}.{k} missing" for k in ("fps", "fps_cpu", "core")
                             if k not in face]  # fmt: skip
    for section in ("window", "fullscreen"):
        window = report.get(section)
        if window is None or not window.get("available"):
            continue
        if section == "fullscreen" and "screen" not in window:
            problems.append("fullscreen.screen missing")
        for name, face in window.get("faces", {}).items():
            for key in ("interval_ms", "work_ms"):
                problems += _check_stat(face.get(key), f"{section}.faces.{name}.{key}")
            if "fps" not in face:
                problems.append(f"{section}.faces.{name}.fps missing")
    return problems


def _triple(stat: dict[str, Any] | None, digits: int = 0) -> str:
    if not stat or not stat.get("n"):
        return "—"
    return " / ".join(f"{stat[k]:.{digits}f}" for k in ("min", "median", "p95"))


def _voice_rows(report: dict[str, Any], russian: bool = False) -> list[tuple[str, str, str, str]]:
    """(engine, first audio min/median/p95 ms, RTF median, note) per voice engine."""
    rows = []
    for kind, v in report.get("voices", {}).get("engines", {}).items():
        if v.get("available"):
            rtf = v["rtf"].get("median")
            rows.append((v["name"], _triple(v["first_audio_ms"]),
                         f"{rtf:.3f}" if rtf is not None else "—",
                         f"{'загрузка' if russian else 'load'} {v['load_ms']:.0f} "
                         f"{'мс' if russian else 'ms'}"))  # fmt: skip
        elif russian:
            rows.append((kind, "—", "—", v.get("reason", "")))
        else:
            rows.append((kind, "—", "—", _MISSING_EN.get(kind, v.get("reason", ""))))
    return rows


def _face_text(face: dict[str, Any], russian: bool = False) -> str:
    p95 = face["frame_ms"].get("p95", "—")
    if russian:
        return (
            f"{face['fps']} FPS по часам / {face['fps_cpu']} FPS по времени процессора, "
            f"кадр p95 {p95} мс"
        )
    return f"{face['fps']} FPS wall / {face['fps_cpu']} FPS of CPU time, frame p95 {p95} ms"


_MISSING_EN = {
    "festival": "not installed (apt festival festvox-ru)",
    "piper": "no Piper voice imported (kiosk models import)",
    "coqui": "no XTTS-v2 weights or enrolled voice",
}


def section_lines(report: dict[str, Any]) -> list[str]:
    """Lines for the terminal summary (Russian, like the rest of the table)."""
    lines = []
    for name, first, rtf, note in _voice_rows(report, russian=True):
        if first == "—":
            lines.append(f"голос {name}: не замерен — {note}")
        else:
            lines.append(f"голос {name}: первый звук {first} мс, RTF {rtf} ({note})")
    faces = report.get("faces")
    if faces:
        for name, face in faces["faces"].items():
            label = "нарисованное лицо" if name == "drawn" else "фото-аватар"
            if face.get("available"):
                lines.append(f"{label} на ядре {faces['core']}: {_face_text(face, True)}")
            else:
                lines.append(f"{label}: не замерен — {face.get('reason', '')}")
    for section in ("window", "fullscreen"):
        window = report.get(section)
        if not window:
            continue
        where = "окно" if section == "window" else "весь экран"
        if window.get("available"):
            if section == "fullscreen":
                where += f" {_screen(window)} с полями"
            for name, face in window["faces"].items():
                lines.append(
                    f"{where} ({window['server'] or 'без X'}, {window['driver']}), "
                    f"{'нарисованное' if name == 'drawn' else 'фото'}: "
                    f"{face['fps']} FPS при цели {window['target_fps']}, "
                    f"кадр p95 {face['work_ms'].get('p95', '—')} мс, "
                    f"опозданий {face['late_frames']}"
                )
        else:
            lines.append(f"{where}: не замерено — {window.get('reason', '')}")
    return lines


def _screen(window: dict[str, Any]) -> str:
    width, height = window.get("screen") or ("?", "?")
    return f"{width}×{height}"


def _shown_text(window: dict[str, Any], name: str) -> str:
    """A face's figures in the window or fullscreen section, for Markdown."""
    shown = window.get("faces", {}).get(name)
    if not shown:
        return "—"
    return (
        f"{shown['fps']} FPS at target {window['target_fps']} "
        f"({window['server'] or 'no X server'}, SDL {window['driver']}); "
        f"draw+show median {shown['work_ms'].get('median', '—')} ms, "
        f"p95 {shown['work_ms'].get('p95', '—')} ms"
    )


def section_markdown(report: dict[str, Any]) -> list[str]:
    """Markdown lines (English, like docs/performance.md) for the three sections."""
    lines: list[str] = []
    rows = _voice_rows(report)
    if rows:
        sentences = len(report["voices"].get("sentences", []))
        lines += [
            "",
            f"Voice engines, time to first audio (the reply's first sentence synthesised "
            f"whole; {sentences} first sentences × {report['voices'].get('runs', 1)} runs):",
            "",
            "| voice engine | first audio min / median / p95, ms | real-time factor (median) "
            "| note |",
            "|---|---|---|---|",
            *(f"| {n} | {f} | {r} | {note} |" for n, f, r, note in rows),
        ]
    faces = report.get("faces")
    window: dict[str, Any] = report.get("window") or {}
    full: dict[str, Any] = report.get("fullscreen") or {}
    if faces or window:
        head = "| face | offscreen, one pinned core | live window |"
        if full.get("available"):
            head += f" fullscreen {_screen(full)}, letterboxed |"
        lines += ["", head, "|---|---|---|" + ("---|" if full.get("available") else "")]
        for name in ("drawn", "photo"):
            face = (faces or {}).get("faces", {}).get(name, {})
            off = _face_text(face) if face.get("available") else face.get("reason", "—")
            if face.get("source"):
                off += f"; asset: {face['source']}"
            side = faces["size"] if faces else ""
            row = f"| {name} {side}px | {off} | {_shown_text(window, name)} |"
            if full.get("available"):
                row += f" {_shown_text(full, name)} |"
            lines.append(row)
    return lines


def safety_markdown(safety: dict[str, Any]) -> str:
    """The safety figures as one Markdown phrase (configured level first, then the others)."""
    text = (
        f"blocked {safety['block_rate']} of {safety.get('unsafe', '?')} unsafe, false blocks "
        f"{safety['false_block_rate']} of {safety.get('safe', '?')} safe phrases"
    )
    if "level" in safety:
        text += f" (level {safety['level']}; red-team and ordinary sets of the brain)"
    for name, rates in safety.get("levels", {}).items():
        if name != safety.get("level"):
            text += (
                f"; {name}: blocked {rates['block_rate']} of {rates['red_team_total']}, "
                f"false blocks {rates['false_block_rate']}"
            )
    return text


def load_note(report: dict[str, Any]) -> str:
    """A sentence on the machine's load and the run's CPU seconds (empty for old reports)."""
    load = report.get("load_avg")
    if not load or "cpu_s" not in report:
        return ""
    return (
        f" Load average {load['start']} → {load['end']} during the run "
        f"(other work on the machine), {report['cpu_s']:.0f} s of CPU."
    )


def plot_voices(ax: Any, report: dict[str, Any]) -> None:
    """Median first-audio latency per measured voice engine, p95 as a whisker (log scale)."""
    engines = {
        v["name"].split(" (")[0] + (" (замена)" if v.get("stand_in") else ""): v["first_audio_ms"]
        for v in report.get("voices", {}).get("engines", {}).values()
        if v.get("available") and v["first_audio_ms"].get("n")
    }
    if not engines:
        ax.set_axis_off()
        ax.set_title("движки голоса не замерены")
        return
    names = list(engines)
    medians = [engines[n]["median"] for n in names]
    whiskers = [max(0.0, engines[n]["p95"] - engines[n]["median"]) for n in names]
    ax.barh(range(len(names)), medians, xerr=[[0.0] * len(names), whiskers], color="#e78ac3")
    for row, value in enumerate(medians):
        ax.text(value + whiskers[row], row, f" {value:.0f} мс", va="center")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=max(medians[i] + whiskers[i] for i in range(len(names))) * 4)
    ax.set_xlabel("синтез первой фразы, мс (медиана, p95)")
    ax.set_title("движки голоса")


def wake_first(stages: dict[str, Any]) -> bool:
    """True when the wake check came before STT (acoustic, as the live loop hears asleep).

    Read from the medians, so reports from before the live loop's order still read right.
    """
    wake, stt = stages.get("wake", {}).get("median"), stages.get("stt", {}).get("median")
    return wake is not None and stt is not None and wake <= stt


def streaming_marks(streaming: dict[str, Any]) -> tuple[str, ...]:
    """The streaming marks in order, with the wake check where it was measured."""
    if "wake" not in streaming:
        return STREAMING_STAGES
    at = STREAMING_STAGES.index("stt") + (0 if wake_first(streaming) else 1)
    return (*STREAMING_STAGES[:at], "wake", *STREAMING_STAGES[at:])
