"""The bench report: its schema check, the terminal table, the plot, comparison and history."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.bench.sections import (
    load_note,
    plot_voices,
    safety_markdown,
    section_lines,
    section_markdown,
    streaming_marks,
    validate_sections,
    wake_first,
)
from kiosk.bench.session import FLOOR_STAGES, SCHEMA_VERSION, SEQUENTIAL_STAGES, STREAMING_STAGES
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from rich.console import Console

    from kiosk.store import Store

__all__ = [
    "Change",
    "compare_reports",
    "last_bench",
    "load_report",
    "plot_report",
    "markdown_report",
    "print_report",
    "store_report",
    "validate_report",
]

_LOGGER = logging.getLogger(__name__)

_TOP_KEYS = (
    "schema_version", "kiosk_version", "created_at", "quick", "duration_s", "machine",
    "engines", "corpus", "stages", "ratios", "render", "av_offset_ms", "memory", "accuracy",
    "utterances",
)  # fmt: skip
_MACHINE_KEYS = ("cpu_model", "cores", "ram_gb", "gpu", "os", "python")
_STAT_KEYS = ("min", "median", "p95", "max", "n")

# (label, path into the report, higher is better)
_WATCHED: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    *(
        (f"streaming {s} median, ms", ("stages", "streaming", s, "median"), False)
        for s in STREAMING_STAGES
    ),
    ("sequential first_audio median, ms", ("stages", "sequential", "first_audio", "median"), False),
    ("overhead (first frame / floor)", ("ratios", "overhead_first_frame"), False),
    ("render FPS", ("render", "fps"), True),
    ("frame time p95, ms", ("render", "frame_ms", "p95"), False),
    ("peak RSS, MiB", ("memory", "peak_rss_mb"), False),
    ("WER", ("accuracy", "wer"), False),
    ("wake detection rate", ("accuracy", "wake_detection_rate"), True),
    ("false wake rate", ("accuracy", "false_wake_rate"), False),
    ("safety block rate", ("accuracy", "safety", "block_rate"), True),
    ("safety false-block rate", ("accuracy", "safety", "false_block_rate"), False),
    *(
        (f"voice {kind} first audio median, ms", ("voices", "engines", kind, "first_audio_ms",
                                                   "median"), False)
        for kind in ("espeak", "festival", "piper", "coqui")
    ),
    ("drawn face FPS of CPU, one core", ("faces", "faces", "drawn", "fps_cpu"), True),
    ("photo face FPS of CPU, one core", ("faces", "faces", "photo", "fps_cpu"), True),
    ("live window FPS, drawn face", ("window", "faces", "drawn", "fps"), True),
    ("live window FPS, photo face", ("window", "faces", "photo", "fps"), True),
    *(
        (f"fullscreen letterboxed {label}", ("fullscreen", "faces", face, *key), up)
        for face in ("drawn", "photo")
        for label, key, up in ((f"FPS, {face} face", ("fps",), True),
                               (f"frame time p95, {face} face, ms", ("work_ms", "p95"), False))
    ),
    ("overhead (first audio / floor)", ("ratios", "overhead_first_audio"), False),
)  # fmt: skip


class BenchReportError(KioskError):
    """A bench report file is missing, not JSON, or not in the expected schema."""

    exit_code = 2


def validate_report(report: dict[str, Any]) -> list[str]:
    """Problems with ``report``'s schema (an empty list when it is valid)."""
    problems = [f"missing key {k!r}" for k in _TOP_KEYS if k not in report]
    if problems:
        return problems
    if report["schema_version"] != SCHEMA_VERSION:
        problems.append(f"schema_version {report['schema_version']} != {SCHEMA_VERSION}")
    problems += [f"machine.{k} missing" for k in _MACHINE_KEYS if k not in report["machine"]]
    for shape, stages in (
        ("streaming", STREAMING_STAGES),
        ("sequential", SEQUENTIAL_STAGES),
        ("floor", FLOOR_STAGES),
    ):
        for stage in stages:
            stat = report["stages"].get(shape, {}).get(stage)
            if stat is None:
                problems.append(f"stages.{shape}.{stage} missing")
            elif stat.get("n"):
                problems += [
                    f"stages.{shape}.{stage}.{k} missing" for k in _STAT_KEYS if k not in stat
                ]
    return problems + validate_sections(report)


def load_report(path: Path) -> dict[str, Any]:
    """Read and check a report written by ``kiosk bench --json`` (raises ``BenchReportError``)."""
    hint = "укажите файл, записанный командой kiosk bench --json"
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BenchReportError(f"Файл замеров не найден: {path}", hint) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchReportError(f"{path}: это не отчёт о замерах ({exc})", hint) from exc
    if not isinstance(report, dict):
        raise BenchReportError(f"{path}: это не отчёт о замерах", hint)
    problems = validate_report(report)
    if problems:
        raise BenchReportError(f"{path}: неверный формат отчёта: {'; '.join(problems[:3])}", hint)
    return report


def _get(report: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = report
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class Change:
    """One watched figure in two reports."""

    metric: str
    """What it is, with its unit."""
    old: float
    """Value in the older report."""
    new: float
    """Value in the newer report."""
    regression: bool
    """True when it got worse by more than the tolerance."""

    @property
    def change(self) -> float:
        """Relative change (new/old − 1); infinite when ``old`` is 0 and ``new`` is not."""
        if self.old == 0:
            return 0.0 if self.new == 0 else math.inf
        return self.new / self.old - 1.0


def compare_reports(
    old: dict[str, Any], new: dict[str, Any], tolerance: float = 0.10
) -> list[Change]:
    """Every watched figure present in both reports; ``regression`` when worse by > tolerance.

    Rates (0..1) count as regressed when they move the wrong way by more than 0.02
    absolute, since a relative change of a rate near 0 means little.
    """
    changes = []
    for label, path, higher_is_better in _WATCHED:
        a, b = _get(old, path), _get(new, path)
        if a is None or b is None:
            continue
        worse = (a - b) if higher_is_better else (b - a)
        if "rate" in label or label == "WER":
            regression = worse > 0.02
        else:
            regression = worse > tolerance * abs(a)
        changes.append(Change(label, a, b, regression))
    return changes


def _fmt(stat: dict[str, Any] | None, key: str) -> str:
    if not stat or key not in stat:
        return "—"
    return f"{stat[key]:.0f}"


def print_report(report: dict[str, Any], console: Console) -> None:
    """Print the per-stage table and the summary figures."""
    from rich.table import Table

    machine = report["machine"]
    gpu = machine["gpu"]["name"] if machine["gpu"] else "нет GPU"
    console.print(
        f"[bold]Машина:[/] {machine['cpu_model']}, {machine['cores']} ядер, "
        f"{machine['ram_gb']} ГБ, {gpu}; Python {machine['python']}"
    )
    console.print(
        "[bold]Движки:[/] " + ", ".join(f"{k}: {v}" for k, v in report["engines"].items())
    )
    stages = report["stages"]
    table = Table(title="Задержки, мс от конца речи ребёнка")
    for column in ("этап", "поток min", "поток медиана", "поток p95", "последоват. медиана",
                   "этапы отдельно, сумма"):  # fmt: skip
        table.add_column(column, justify="right" if column != "этап" else "left")
    floor = {k: float(v.get("median", 0.0)) for k, v in stages["floor"].items()}
    # Stage-alone times added up in pipeline order, comparable with the marks.
    floor_at = {"endpoint": floor.get("endpoint", 0.0)}
    heard = ("wake", "stt") if wake_first(stages["streaming"]) else ("stt", "wake")
    at = floor_at["endpoint"]
    for stage in heard:
        at += floor.get(stage, 0.0)
        floor_at[stage] = at
    floor_at["first_sentence"] = at + floor.get("brain_first_sentence", 0.0)
    floor_at["first_audio"] = floor_at["first_sentence"] + floor.get("tts_first_sentence", 0.0)
    floor_at["first_frame"] = floor_at["first_audio"] + floor.get("first_frame", 0.0)
    for stage in streaming_marks(stages["streaming"]):
        s = stages["streaming"].get(stage)
        table.add_row(
            stage,
            _fmt(s, "min"),
            _fmt(s, "median"),
            _fmt(s, "p95"),
            _fmt(stages["sequential"].get(stage), "median"),
            f"{floor_at[stage]:.0f}" if stage in floor_at and floor else "—",
        )
    console.print(table)
    ratios, render, acc = report["ratios"], report["render"], report["accuracy"]
    av = report["av_offset_ms"]
    mem = report["memory"]
    lines = [
        f"поток / последовательно (первый звук): {ratios['streaming_over_sequential_first_audio']}",
        f"накладные расходы (первый кадр / сумма этапов): {ratios['overhead_first_frame']}; "
        f"первый звук / его этапы: {ratios.get('overhead_first_audio')}",
        f"отрисовка: {render['fps']} FPS, кадр p95 {_fmt(render['frame_ms'], 'p95')} мс "
        f"({render['size']}px)",
        f"рассинхрон губ и звука: медиана {av.get('median', '—')} мс",
        f"память: пик {mem['peak_rss_mb']} МиБ; модели {mem['rss_per_model_mb']}; "
        f"видеопамять {mem['vram_per_model_mb']}",
        f"WER {acc['wer']}, пробуждение {acc['wake_detection_rate']}, "
        f"ложные пробуждения {acc['false_wake_rate']}, "
        f"фильтр: ловит {acc['safety']['block_rate']}, ложно {acc['safety']['false_block_rate']}",
        *section_lines(report),
    ]
    for line in lines:
        console.print(line)


def _md_stat(stat: dict[str, Any] | None) -> str:
    if not stat or not stat.get("n"):
        return "—"
    digits = 1 if stat["median"] < 10 else 0
    return " / ".join(f"{stat[k]:.{digits}f}" for k in ("min", "median", "p95"))


def markdown_report(report: dict[str, Any]) -> str:
    """The report as a Markdown section (the README's performance table is made from it)."""
    m, st, r = report["machine"], report["stages"], report["ratios"]
    gpu = m["gpu"]["name"] if m["gpu"] else "no GPU"
    acc, render, mem = report["accuracy"], report["render"], report["memory"]
    rows = [
        "| stage (ms from the end of the child's speech) | streaming min / median / p95 "
        "| sequential min / median / p95 |",
        "|---|---|---|",
    ]
    seq_of = {"endpoint": "endpoint", "wake": "wake", "stt": "stt", "first_sentence": "reply_done",
              "first_audio": "first_audio", "first_frame": "first_audio"}  # fmt: skip
    for stage in streaming_marks(st["streaming"]):
        seq = st["sequential"].get(seq_of.get(stage, ""))
        rows.append(f"| {stage} | {_md_stat(st['streaming'].get(stage))} | {_md_stat(seq)} |")
    floor = st["floor"]
    stt_md = f"STT {_md_stat(floor.get('stt'))}"
    wake_md = f"wake check {_md_stat(floor.get('wake'))}"
    first = wake_first(st["streaming"])
    heard_md = f"{wake_md}, {stt_md}" if first else f"{stt_md}, {wake_md}"
    skipped = report["corpus"].get("stt_skipped")
    skipped_md = (
        f" The wake word is checked on the sound before STT, as the live loop does asleep:"
        f" no STT on {skipped} utterances without «Аня»; wakes the transcript vetoed:"
        f" {report['corpus'].get('vetoed', 0)}."
        if first and skipped is not None
        else ""
    )
    lines = [
        f"Measured {report['created_at']} with `kiosk bench{' --quick' if report['quick'] else ''}`"
        f" (kiosk {report['kiosk_version']}, {report['duration_s']:.0f} s) on: "
        f"**{m['cpu_model']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {gpu}**, "
        f"{m['os']}, Python {m['python']}.{load_note(report)}",
        "",
        "Engines: " + "; ".join(f"{k}: {v}" for k, v in report["engines"].items()) + ".",
        f"Corpus: {report['corpus']['utterances']} utterances "
        f"({report['corpus']['with_wake']} with the wake word, "
        f"{report['corpus']['without_wake']} without or near misses, "
        f"{report['corpus']['noisy']} noisy); latency over {report['corpus']['answered']} "
        f"answered turns.{skipped_md}",
        "",
        *rows,
        "",
        f"- streaming / sequential, end of speech → first audio: "
        f"**{r['streaming_over_sequential_first_audio']}** "
        f"(sequential is {r['sequential_over_streaming_first_audio']}× slower)",
        f"- overhead against the floor (first frame / sum of stages alone): "
        f"**{r['overhead_first_frame']}**; first audio / its stages: {r['overhead_first_audio']}"
        f" (stages alone, medians: endpoint {_md_stat(floor.get('endpoint'))}, "
        f"{heard_md}, "
        f"brain to first sentence "
        f"{_md_stat(floor.get('brain_first_sentence'))}, first-sentence TTS "
        f"{_md_stat(floor.get('tts_first_sentence'))}, first frame "
        f"{_md_stat(floor.get('first_frame'))} ms)",
        f"- render {render['size']}px: {render['fps']} FPS, frame time min / median / p95 "
        f"{_md_stat(render['frame_ms'])} ms ({render['frames']} frames)",
        f"- A/V offset (mouth vs. audio envelope): {_md_stat(report['av_offset_ms'])} ms",
        f"- memory: peak RSS {mem['peak_rss_mb']} MiB; RSS per model {mem['rss_per_model_mb']}"
        f" MiB; VRAM per model {mem['vram_per_model_mb']}",
        f"- STT WER {acc['wer']}; wake detection {acc['wake_detection_rate']}, false wakes "
        f"{acc['false_wake_rate']}; safety: {safety_markdown(acc['safety'])}",
        *section_markdown(report),
    ]
    return "\n".join(lines) + "\n"


def plot_report(report: dict[str, Any], path: Path) -> Path:
    """Stacked per-stage bars (streaming, sequential, floor) and a histogram of frame FPS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = report["stages"]

    def med(shape: str, stage: str) -> float:
        return float(stages[shape].get(stage, {}).get("median", 0.0))

    def segments(shape: str, marks: tuple[str, ...]) -> list[float]:
        values = [med(shape, m) for m in marks]
        return [max(0.0, b - a) for a, b in zip([0.0, *values[:-1]], values, strict=True)]

    streaming_marks = ("endpoint", "stt", "first_sentence", "first_audio", "first_frame")
    bars = {
        "потоковый": (
            ("endpoint", "stt", "first_sentence", "first_audio", "first_frame"),
            segments("streaming", streaming_marks),
        ),
        "последовательный": (
            ("endpoint", "stt", "reply_done", "tts_done", "render_done"),
            segments("sequential", ("endpoint", "stt", "reply_done", "tts_done", "render_done")),
        ),
        "этапы отдельно": (
            ("endpoint", "stt", "brain", "tts", "frame"),
            [med("floor", "endpoint"), med("floor", "wake") + med("floor", "stt"),
             med("floor", "brain_first_sentence"),
             med("floor", "tts_first_sentence"), med("floor", "first_frame")],
        ),
    }  # fmt: skip
    colours = ["#8da0cb", "#66c2a5", "#fc8d62", "#e78ac3", "#a6d854"]
    legend = ["конец речи (VAD)", "имя + распознавание", "мозг (до фразы / весь ответ)",
              "синтез (первой фразы / всех)", "кадр (первый / все)"]  # fmt: skip
    fig, (ax1, ax2, ax3) = plt.subplots(
        1, 3, figsize=(18, 5.4), gridspec_kw={"width_ratios": [2, 1, 1]}
    )
    for row, (_, parts) in enumerate(bars.values()):
        left = 0.0
        for i, width in enumerate(parts):
            ax1.barh(row, width, left=left, color=colours[i], label=legend[i] if row == 0 else None)
            left += width
        ax1.text(left, row, f" {left:.0f} мс", va="center")
    ax1.set_yticks(range(len(bars)), list(bars))
    ax1.invert_yaxis()
    ax1.set_xlabel("мс от конца речи ребёнка до первого звука / кадра (медиана)")
    ax1.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=3, fontsize=8)
    ax1.set_xlim(0, max(1.0, ax1.get_xlim()[1] * 1.15))
    frames = [v for v in report["render"].get("frame_times_ms", []) if v > 0]
    ax2.hist([1000.0 / v for v in frames], bins=30, color="#66c2a5")
    ax2.set_xlabel("FPS кадра (1000 / время кадра, мс)")
    ax2.set_ylabel("кадров")
    ax2.set_title(f"отрисовка {report['render']['size']}px: {report['render']['fps']} FPS")
    plot_voices(ax3, report)
    machine = report["machine"]
    gpu = machine["gpu"]["name"] if machine["gpu"] else "без GPU"
    fig.suptitle(f"kiosk bench — {machine['cpu_model']}, {machine['cores']} ядер, {gpu}")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# Stored with the watched figures so the admin dashboard can show them, not compared.
_SHOWN: tuple[tuple[str, ...], ...] = (("ratios", "streaming_over_sequential_first_audio"),)


def _flat(report: dict[str, Any]) -> Iterator[tuple[str, float]]:
    for path in (*(w[1] for w in _WATCHED), *_SHOWN):
        value = _get(report, path)
        if value is not None:
            yield ".".join(path), value


def store_report(store: Store, report: dict[str, Any]) -> int:
    """Record the watched figures (and the streaming/sequential ratio) as ``bench.*`` metrics.

    Each is labelled with the run's ``created_at``, ``quick`` and CPU; returns how many.
    """
    labels = {"run": report["created_at"], "quick": report["quick"],
              "machine": report["machine"]["cpu_model"]}  # fmt: skip
    count = 0
    for name, value in _flat(report):
        store.record_metric(f"bench.{name}", value, **labels)
        count += 1
    return count


def last_bench(store: Store) -> dict[str, Any] | None:
    """The newest stored bench: ``{"run", "quick", "machine", "metrics": {name: value}}``."""
    rows = [r for r in store.metrics(limit=5000) if r["name"].startswith("bench.")]
    if not rows:
        return None
    run = rows[0]["labels"].get("run")
    same = [r for r in rows if r["labels"].get("run") == run]
    return {
        "run": run,
        "quick": rows[0]["labels"].get("quick"),
        "machine": rows[0]["labels"].get("machine"),
        "metrics": {r["name"].removeprefix("bench."): r["value"] for r in reversed(same)},
    }
