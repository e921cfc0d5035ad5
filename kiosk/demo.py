"""The headless demo: bundled Russian questions through the whole loop, into an MP4.

Each question WAV goes through the real stages — VAD endpointing, whisper STT, the
wake word, the brain, espeak-ng TTS — and Аня's answer is placed on a timeline whose
gaps are the latencies actually measured. The avatar is then rendered from that
timeline (state changes and lip-sync tracks on the playback clock) and muxed with the
child's questions and Аня's replies into ``demo.mp4``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.daemon.pipeline import TurnResult, TurnRunner, TurnTimer
from kiosk.events import SpeechAudio, SpeechEnded, State, UserText
from kiosk.paths import Paths

if TYPE_CHECKING:
    from kiosk.audio.wav import TimelineSpeaker

__all__ = ["DemoReport", "DemoTurn", "WallFollowingSpeaker", "demo_questions", "run_demo"]

_LOGGER = logging.getLogger(__name__)

GAP_BEFORE_S = 0.6
"""Idle (sleeping) seconds before the first question."""
GAP_AFTER_REPLY_S = 1.0
"""Seconds between the end of a reply and the next question."""
TAIL_S = 1.5
"""Seconds of listening after the last reply before the video ends asleep."""


@dataclass
class DemoTurn:
    """One question and its answer, with the measured timings."""

    question_file: str
    """The bundled WAV the question came from."""
    heard: str
    """What STT heard (wake phrase included)."""
    woke: bool
    """Whether the wake word was recognised (or the follow-up window was open)."""
    result: TurnResult | None
    """The turn, if it ran."""


@dataclass
class DemoReport:
    """What the demo made and measured."""

    video: Path
    """The MP4 written."""
    audio: Path
    """The mixed WAV (questions and replies)."""
    duration: float
    """Seconds of video."""
    turns: list[DemoTurn] = field(default_factory=list)
    """Each question's outcome."""
    engines: dict[str, str] = field(default_factory=dict)
    """Stage → engine name."""


class WallFollowingSpeaker:
    """A virtual-clock speaker whose clock runs with wall time while a turn is live.

    Between turns the demo jumps the clock (``resume_at``) so a question's audio and
    its endpoint land where they would in real life; during a turn the clock advances
    with the real processing time, so the video shows the latency actually measured.
    """

    def __init__(self, timeline: TimelineSpeaker) -> None:
        self.timeline = timeline
        self.sample_rate = timeline.sample_rate
        self._base = 0.0
        self._wall = time.perf_counter()

    def resume_at(self, t: float) -> None:
        """Continue the clock from ``t`` seconds, now."""
        self._base = t
        self._wall = time.perf_counter()
        self.timeline.set_now(t)

    def position(self) -> float:
        """Seconds on the virtual playback clock."""
        now = self._base + (time.perf_counter() - self._wall)
        self.timeline.set_now(now)
        return now

    def play(self, audio: SpeechAudio) -> float:
        """Schedule ``audio`` at max(now, end of the previous sentence)."""
        self.position()
        return self.timeline.play(audio)

    def pending(self) -> float:
        """Seconds of scheduled audio not yet reached by the clock."""
        self.position()
        return self.timeline.pending()

    def flush(self) -> None:
        """Drop what has not started yet (barge-in)."""
        self.position()
        self.timeline.flush()

    def close(self) -> None:
        """Nothing to release."""


def demo_questions(content_dir: Path) -> list[Path]:
    """The bundled question WAVs, in order."""
    files = sorted((content_dir / "demo").glob("*.wav"))
    return files


def _utterances(path: Path, settings: Settings) -> list[SpeechEnded]:
    from kiosk.audio.wav import WavFileSource
    from kiosk.events import SpeechEnded as Ended
    from kiosk.listen import make_endpointer
    from kiosk.listen.hearing import join_pauses

    endpointer = make_endpointer(settings)
    found: list[SpeechEnded] = []
    source = WavFileSource(
        path, sample_rate=settings.audio.sample_rate, frame_ms=settings.audio.frame_ms
    )
    try:
        for frame in source.frames():
            found.extend(e for e in endpointer.feed(frame) if isinstance(e, Ended))
    finally:
        source.close()
    found.extend(endpointer.flush())
    # A pause mid-sentence ends an utterance early; the live loop joins such pieces when
    # the child goes on within a second, and so does the demo.
    return join_pauses(found)


def _mix(base: bytes, overlays: list[tuple[float, bytes, int]], rate: int) -> bytes:
    """Add each (start seconds, pcm, its rate) overlay into ``base`` (all s16 mono)."""
    import numpy as np

    from kiosk.audio.wav import resample

    track = np.frombuffer(base, dtype=np.int16).astype(np.int32)
    for start, pcm, src_rate in overlays:
        samples = np.frombuffer(resample(pcm, src_rate, rate), dtype=np.int16)
        at = int(round(start * rate))
        end = min(len(track), at + len(samples))
        if end > at:
            track[at:end] += samples[: end - at]
    return np.clip(track, -32768, 32767).astype(np.int16).tobytes()


def run_demo(
    settings: Settings,
    paths: Paths,
    *,
    out_dir: Path | None = None,
    questions: list[Path] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoReport:
    """Run the bundled questions through the loop and write ``demo.mp4``."""
    return asyncio.run(_run_demo(settings, paths, out_dir, questions, progress or _LOGGER.info))


async def _run_demo(
    settings: Settings,
    paths: Paths,
    out_dir: Path | None,
    questions: list[Path] | None,
    say: Callable[[str], None],
) -> DemoReport:
    from kiosk.audio.wav import TimelineSpeaker, read_wav, write_wav
    from kiosk.avatar import make_renderer
    from kiosk.avatar.animator import Animator
    from kiosk.avatar.video import render_video
    from kiosk.daemon.assemble import open_core
    from kiosk.listen import make_wake_detector
    from kiosk.stt import make_transcriber
    from kiosk.voice import make_synthesizer

    out_dir = out_dir or paths.output_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    files = questions if questions is not None else demo_questions(paths.content_dir)
    if not files:
        from kiosk.errors import AudioFormatError

        raise AudioFormatError(
            f"No demo questions in {paths.content_dir / 'demo'}",
            "restore content/demo/*.wav from the source tree (git checkout content/demo)",
        )

    say("Загружаю модели…")
    core = open_core(settings, paths)
    transcriber = make_transcriber(settings, paths)
    wake = make_wake_detector(settings)
    synthesizer = make_synthesizer(settings.voice, paths)
    animator = Animator(seed=7)
    speaker = WallFollowingSpeaker(TimelineSpeaker(sample_rate=22050))
    runner = TurnRunner(
        core.brain,
        core.store,
        persona_id=core.persona.id,
        synthesizer=synthesizer,
        speaker=speaker,
        animator=animator,
        source="demo",
        child_name=settings.general.child_name,
        history_turns=settings.brain.history_turns,
    )
    report = DemoReport(
        video=out_dir / "demo.mp4",
        audio=out_dir / "demo.wav",
        duration=0.0,
        engines={
            "stt": transcriber.name,
            "brain": core.brain.engine_name,
            "voice": synthesizer.name,
            "avatar": "drawn-face",
        },
    )
    child_track: list[tuple[float, bytes, int]] = []
    animator.set_state(State.SLEEPING, at=0.0)
    t = GAP_BEFORE_S
    awake_until = -1.0
    try:
        for path in files:
            say(f"Вопрос: {path.name}")
            pcm, rate = read_wav(path)
            child_track.append((t, pcm, rate))
            question_end = t + len(pcm) / 2 / rate
            for utt in _utterances(path, settings):
                speech_start = t + utt.start
                if speech_start <= awake_until:
                    animator.set_state(State.LISTENING, at=speech_start)
                speaker.resume_at(t + utt.decided_at)
                timer = TurnTimer()
                in_follow_up = speech_start <= awake_until
                # The live loop's order: asleep, an acoustic detector hears «Аня» in the
                # sound first and speech without it never reaches STT; the transcript
                # may still veto the wake (kiosk.daemon.replies.answer_utterance).
                acoustic = not getattr(wake, "needs_transcript", True)
                detection = None
                if acoustic:
                    detection = await asyncio.to_thread(wake.check, utt)
                    timer.mark("wake")
                    if detection is None and not in_follow_up:
                        report.turns.append(DemoTurn(path.name, "", False, None))
                        continue
                transcript = await asyncio.to_thread(
                    transcriber.transcribe, utt.pcm, utt.sample_rate
                )
                timer.mark("stt")
                if not acoustic:
                    detection = wake.check(utt, transcript.text)
                elif detection is not None and getattr(wake, "veto", None) is not None:
                    if wake.veto(transcript.text, detection, utt):  # type: ignore[attr-defined]
                        detection = None
                text = wake.strip(transcript.text) if detection else transcript.text
                if not (detection or in_follow_up):
                    report.turns.append(DemoTurn(path.name, transcript.text, False, None))
                    continue
                if not text.strip():  # only the wake word: listen for the question
                    animator.set_state(State.LISTENING, at=t + utt.decided_at)
                    awake_until = t + utt.decided_at + settings.listen.follow_up_s
                    continue
                result = await runner.run(UserText(text=text, source="demo"), timer)
                report.turns.append(DemoTurn(path.name, transcript.text, True, result))
                say(f"  ребёнок: {text}")
                say(f"  {core.persona.name}: {result.reply}")
                awake_until = result.speech_end + settings.listen.follow_up_s
                question_end = max(question_end, result.speech_end)
            t = question_end + GAP_AFTER_REPLY_S
        end = t + TAIL_S
        animator.set_state(State.SLEEPING, at=t + TAIL_S / 2)
        report.duration = end
        runner.close()
    finally:
        core.close()

    say("Свожу звук…")
    rate = speaker.sample_rate
    write_wav(
        report.audio,
        _mix(speaker.timeline.render(duration=report.duration), child_track, rate),
        rate,
    )
    say("Рисую видео…")
    renderer = make_renderer(settings.avatar, paths.avatars_dir)
    render_video(
        animator,
        renderer,
        report.video,
        duration=report.duration,
        fps=min(settings.avatar.fps, 30),
        audio_wav=report.audio,
    )
    return report
