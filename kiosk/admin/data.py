"""What the admin shows from the database alone: alerts, days, today's figures, exports.

Everything here works when the daemon is down; it reads through ``kiosk.store.Store``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from kiosk.brain.persona import Persona, system_prompt
from kiosk.paths import atomic_write_text
from kiosk.store import Store
from kiosk.store.records import Conversation, parse_time

__all__ = [
    "ALERTS_READ_KEY",
    "Alert",
    "BenchSummary",
    "TodayFigures",
    "bench_summary",
    "conversation_days",
    "export_json",
    "export_markdown",
    "latency_series",
    "mark_alerts_read",
    "prompt_preview",
    "quiet_hours_active",
    "safety_alerts",
    "EMOTION_NAMES",
    "ROLE_NAMES",
    "local",
    "safety_category",
    "category_name",
    "today_figures",
    "transcript_markdown",
]

_LOGGER = logging.getLogger(__name__)

ALERTS_READ_KEY = "admin.alerts_read_up_to"
"""Settings-history key: the last avatar turn id whose alert the parent has read."""

ROLE_NAMES = {"child": "Ребёнок", "avatar": "Аня", "parent": "Родитель"}

EMOTION_NAMES = {
    "happy": "радость",
    "sad": "грусть",
    "surprised": "удивление",
    "thinking": "раздумье",
    "excited": "восторг",
    "calm": "спокойствие",
    "concern": "беспокойство",
}
"""Russian names of the brain's emotion labels (``kiosk.brain.emotion.EMOTIONS``) but neutral."""


_EXTRA_CATEGORY_NAMES = {
    "self_check": "ответ отклонён самопроверкой модели",
    "sadness": "ребёнку грустно уже несколько раз",
}


def category_name(category: str) -> str:
    """What the parent reads for a safety category: Russian (English: the tag itself)."""
    from kiosk.admin.i18n import language
    from kiosk.brain.safety import CATEGORY_LABELS

    if language() == "en":
        return category.replace("_", " ")
    return CATEGORY_LABELS.get(category) or _EXTRA_CATEGORY_NAMES.get(category, category)


def safety_category(safety: str) -> str:
    """The safety verdict without flags (``"violence;interrupted"`` → ``"violence"``)."""
    return safety.split(";", 1)[0] or "ok"


def local(moment: datetime) -> datetime:
    """A stored UTC time in the machine's local zone."""
    return moment.astimezone()


@dataclass(frozen=True, slots=True)
class Alert:
    """A turn where the safety check stepped in."""

    turn_id: int
    """Id of Аня's (redirecting) turn."""
    at: datetime
    """When it happened (local time)."""
    category: str
    """What the safety check matched (``violence``, ``self_harm``, ...)."""
    child_text: str
    """What the child said just before."""
    reply: str
    """What Аня answered."""


def safety_alerts(store: Store, *, unread_only: bool = True, limit: int = 20) -> list[Alert]:
    """Safety interventions, newest first; ``unread_only`` keeps those after the read mark."""
    after = int(store.get_setting(ALERTS_READ_KEY, 0) or 0) if unread_only else 0
    rows = list(
        store.db.query(
            "SELECT a.id, a.created_at, a.safety, a.text AS reply,"
            " (SELECT c.text FROM turns c WHERE c.conversation_id = a.conversation_id"
            "  AND c.role = 'child' AND c.id < a.id ORDER BY c.id DESC LIMIT 1) AS child_text"
            " FROM turns a WHERE a.role = 'avatar' AND a.id > ?"
            " AND a.safety NOT IN ('ok', 'ok;interrupted') ORDER BY a.id DESC LIMIT ?",
            [after, limit],
        )
    )
    alerts = []
    for row in rows:
        at = parse_time(row["created_at"])
        assert at is not None
        alerts.append(
            Alert(
                turn_id=int(row["id"]),
                at=local(at),
                category=safety_category(row["safety"]),
                child_text=row["child_text"] or "",
                reply=row["reply"],
            )
        )
    return alerts


def mark_alerts_read(store: Store, alerts: Sequence[Alert]) -> None:
    """Remember that the parent has seen ``alerts`` (and everything before them)."""
    if alerts:
        store.set_setting(ALERTS_READ_KEY, max(a.turn_id for a in alerts), changed_by="parent")


@dataclass(frozen=True, slots=True)
class TodayFigures:
    """Today's activity, from the database."""

    conversations: int
    """Conversations begun today."""
    child_turns: int
    """Things the child said today."""
    talk_seconds: float
    """Seconds of talk today as the daily limit counts them."""


def today_figures(store: Store, today: date | None = None) -> TodayFigures:
    """How much the child talked today (local day).

    Talk time is the daemon's own count for the daily limit (the child's speech plus
    the part of Аня's replies that played), so the parent sees the figure the limit uses.
    """
    from kiosk.daemon.policy import talk_seconds_since

    day = today or datetime.now().astimezone().date()
    conversations = store.conversations(limit=10_000, day=day)
    child_turns = 0
    for conversation in conversations:
        child_turns += sum(1 for t in store.turns(conversation.id) if t.role == "child")
    midnight = datetime.combine(day, time()).astimezone()
    return TodayFigures(len(conversations), child_turns, talk_seconds_since(store, midnight))


def latency_series(store: Store, stages: Sequence[str], limit: int = 40) -> dict[str, list[float]]:
    """Per-stage milliseconds of the last ``limit`` replies, oldest first."""
    series: dict[str, list[float]] = {stage: [] for stage in stages}
    turns = [t for t in store.recent_turns(limit * 2) if t.role == "avatar"][-limit:]
    for turn in turns:
        for stage in stages:
            if stage in turn.timings:
                series[stage].append(turn.timings[stage])
    return series


@dataclass(frozen=True, slots=True)
class BenchSummary:
    """The newest ``kiosk bench`` result stored in the database."""

    at: datetime | None
    """When it ran (local time; None when the stored stamp is unreadable)."""
    quick: bool
    """True for ``kiosk bench --quick``."""
    first_audio_ms: float | None
    """Median end of the child's speech → first audio sample, streaming, in ms."""
    fps: float | None
    """Render frames per second."""
    ratio: float | None
    """Streaming / sequential first-audio time (below 1 means streaming is faster)."""
    photo_fps_cpu: float | None = None
    """Photo avatar frames per second of one CPU core (render only), when it was measured."""
    window_fps: float | None = None
    """Frames per second in a live window (the photo face's when measured, else the drawn one's)."""
    window_face: str | None = None
    """Which face ``window_fps`` is for: ``"photo"`` or ``"drawn"``."""


def bench_summary(store: Store) -> BenchSummary | None:
    """The last stored bench (``kiosk bench`` records it), or None when none ran yet."""
    from kiosk.bench.report import last_bench

    last = last_bench(store)
    if last is None:
        return None
    metrics = last["metrics"]
    streaming = metrics.get("stages.streaming.first_audio.median")
    sequential = metrics.get("stages.sequential.first_audio.median")
    ratio = metrics.get("ratios.streaming_over_sequential_first_audio")
    if ratio is None and streaming and sequential:  # runs stored before the ratio was
        ratio = streaming / sequential
    try:
        at: datetime | None = local(datetime.fromisoformat(str(last["run"])))
    except ValueError:
        at = None
    window_face = next(
        (face for face in ("photo", "drawn") if f"window.faces.{face}.fps" in metrics), None
    )
    return BenchSummary(
        at,
        bool(last["quick"]),
        streaming,
        metrics.get("render.fps"),
        ratio,
        photo_fps_cpu=metrics.get("faces.faces.photo.fps_cpu"),
        window_fps=metrics.get(f"window.faces.{window_face}.fps") if window_face else None,
        window_face=window_face,
    )


def conversation_days(store: Store, limit: int = 2000) -> list[tuple[date, list[Conversation]]]:
    """Conversations grouped by local day, newest day first."""
    by_day: dict[date, list[Conversation]] = {}
    for conversation in store.conversations(limit=limit):
        by_day.setdefault(local(conversation.started_at).date(), []).append(conversation)
    return sorted(by_day.items(), key=lambda item: item[0], reverse=True)


def transcript_markdown(store: Store, conversation: Conversation) -> str:
    """One conversation as Markdown, with emotions and safety interventions marked."""
    start = local(conversation.started_at)
    lines = [
        f"## {start:%d.%m.%Y %H:%M} — {conversation.persona} ({conversation.source})",
        "",
    ]
    for turn in store.turns(conversation.id):
        who = ROLE_NAMES.get(turn.role, turn.role)
        extra = []
        if turn.role == "avatar" and turn.emotion != "neutral":
            extra.append(EMOTION_NAMES.get(turn.emotion, turn.emotion))
        category = safety_category(turn.safety)
        if category != "ok":
            extra.append(f"⚠ безопасность: {category_name(category)}")
        note = f" _({', '.join(extra)})_" if extra else ""
        lines.append(f"- **{local(turn.created_at):%H:%M:%S} {who}:** {turn.text}{note}")
    return "\n".join(lines) + "\n"


def export_markdown(store: Store, folder: Path, now: datetime | None = None) -> Path:
    """Write every conversation as one Markdown file in ``folder``; return its path."""
    moment = now or datetime.now().astimezone()
    parts = [f"# Разговоры ребёнка с киоском (выгружено {moment:%d.%m.%Y %H:%M})", ""]
    for day, conversations in conversation_days(store, limit=1_000_000):
        parts.append(f"# {day:%d.%m.%Y}\n")
        parts += [transcript_markdown(store, c) for c in reversed(conversations)]
    facts = store.facts()
    if facts:
        parts.append("# Что Аня помнит\n")
        parts += [f"- {'📌 ' if f.pinned else ''}{f.text}" for f in facts]
    path = folder / f"kiosk-export-{moment:%Y%m%d-%H%M%S}.md"
    atomic_write_text(path, "\n".join(parts) + "\n")
    _LOGGER.info("exported conversations to %s", path)
    return path


def export_json(store: Store, folder: Path, now: datetime | None = None) -> Path:
    """Write ``Store.export_all()`` as JSON in ``folder``; return its path."""
    moment = now or datetime.now().astimezone()
    path = folder / f"kiosk-export-{moment:%Y%m%d-%H%M%S}.json"
    atomic_write_text(path, json.dumps(store.export_all(), ensure_ascii=False, indent=2))
    _LOGGER.info("exported data to %s", path)
    return path


def prompt_preview(store: Store, persona: Persona, child_name: str = "") -> str:
    """The system prompt the next turn would get, with the facts as they are now."""
    return system_prompt(persona, [fact.text for fact in store.facts()], child_name)


def quiet_hours_active(start: str, end: str, now: time | None = None) -> bool:
    """Whether ``now`` (local time) falls in the quiet hours ``start``..``end`` ("HH:MM").

    Empty start or end: no quiet hours. ``end`` earlier than ``start`` spans midnight;
    the start minute is inside, the end minute outside.
    """
    from kiosk.daemon.policy import in_quiet_hours

    return in_quiet_hours(now or datetime.now().time(), start, end)
