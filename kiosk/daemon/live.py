"""The live loop: microphone → wake/VAD → STT → turn; the avatar drawn on the main thread.

SDL wants the main thread, so the render loop runs there; the conversation runs on an
asyncio loop in a second thread; capture runs in its own thread and only hands frames
over. Every mic frame passes the echo canceller (Аня's own voice is the reference);
while she speaks, the barge-in detector listens for the child and cancels the reply
task. Without echo cancellation (livekit missing, or turned off) the loop is
half-duplex: captured audio is discarded while Аня speaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import Settings
from kiosk.daemon.control import ControlCommandFailed, ControlServer
from kiosk.daemon.notify import Notifier
from kiosk.daemon.pipeline import TurnResult, TurnRunner, TurnTimer
from kiosk.daemon.resources import ResourceMonitor
from kiosk.daemon.stats import DaemonStats, FpsMeter
from kiosk.errors import KioskError
from kiosk.events import (
    AudioFrame,
    SpeechAudio,
    SpeechEnded,
    StageError,
    State,
    StateChanged,
    UserText,
)
from kiosk.paths import Paths

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from kiosk.audio.base import AudioIn, AudioOut
    from kiosk.avatar.animator import Animator
    from kiosk.brain import Brain, Persona
    from kiosk.daemon.assemble import Core

__all__ = ["LiveLoop", "run_live"]

_LOGGER = logging.getLogger(__name__)

_STATUS = {
    State.SLEEPING: "сплю (жду «Аня»)",
    State.LISTENING: "слушаю",
    State.THINKING: "думаю",
    State.SPEAKING: "говорю",
    State.ERROR: "ошибка",
}

ERROR_FACE_S = 3.0
"""Seconds the avatar shows the error face after a stage fails."""

_STAGES = ("stt", "brain", "voice", "avatar", "audio", "listen", "store")


def _stage_of(exc: BaseException, default: str) -> str:
    """The kiosk stage whose code raised ``exc`` (deepest frame wins), else ``default``."""
    stage = default
    tb = exc.__traceback__
    while tb is not None:
        parts = tb.tb_frame.f_globals.get("__name__", "").split(".")
        if len(parts) > 1 and parts[0] == "kiosk" and parts[1] in _STAGES:
            stage = parts[1]
        tb = tb.tb_next
    return stage


class LiveLoop:
    """One running kiosk: capture, conversation and avatar wired together."""

    def __init__(
        self,
        core: Core,
        audio_in: AudioIn,
        speaker: AudioOut,
        animator: Animator,
        notifier: Notifier,
    ) -> None:
        from kiosk.listen import make_endpointer, make_wake_detector
        from kiosk.stt import make_transcriber
        from kiosk.voice import make_synthesizer

        settings = core.settings
        self.core = core
        self.audio_in = audio_in
        self.speaker = speaker
        self.animator = animator
        self.notifier = notifier
        self.endpointer = make_endpointer(settings)
        self.wake = make_wake_detector(settings)
        self.transcriber = make_transcriber(settings, core.paths)
        self.synthesizer = make_synthesizer(settings.voice, core.paths)
        self.state = State.SLEEPING
        self.stop_event = threading.Event()
        self.turns = 0
        self.paused = False
        """Listening stopped by the parent (``pause``) until ``resume``."""
        self.avatar_name = "drawn"
        """Name of the avatar renderer, for ``status``."""
        self.monitor = ResourceMonitor()
        self.stats = DaemonStats.from_store(core.store)
        self.fps = FpsMeter()
        self.turn_lock = asyncio.Lock()
        """Held by whatever drives the avatar's voice: a turn, a phrase, a swap of parts."""
        self.control: ControlServer | None = None
        self.control_ready = threading.Event()
        """Set once the control socket is serving (or has failed to start)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._awake_until = -1.0
        self.echo, self.barge_in, self.echo_gate = _make_echo_parts(settings)
        if self.echo is not None:
            self.speaker = EchoReferenceSpeaker(speaker, self.echo)
        self._reply_task: asyncio.Task[None] | None = None
        """The utterance being answered (STT → turn); cancelled by barge-in."""
        self._barged = False
        self._last_purge = -1e9
        self._purge_task: asyncio.Task[None] | None = None
        self.runner = self._make_runner(settings, core.brain, core.persona.id)

    def _make_runner(self, settings: Settings, brain: Brain, persona_id: str) -> TurnRunner:
        return TurnRunner(
            brain,
            self.core.store,
            persona_id=persona_id,
            synthesizer=self.synthesizer,
            speaker=self.speaker,
            animator=self.animator,
            source="voice",
            child_name=settings.general.child_name,
            history_turns=settings.brain.history_turns,
            on_state=self._on_state,
            wait_for_playback=True,
        )

    def _on_state(self, change: StateChanged) -> None:
        self.state = change.state
        self.notifier.status(_STATUS[change.state])
        _LOGGER.info("state %s (%s)", change.state, change.reason)
        if self.control is not None:
            self.control.publish("state", {"state": change.state.value, "reason": change.reason})

    # --- parts swapped by the control socket ----------------------------------------

    def build_parts(self, settings: Settings, voice: bool) -> dict[str, Any]:
        """New listen parts (and a synthesizer when ``voice``) for ``settings`` (blocking)."""
        from kiosk.listen import make_endpointer, make_wake_detector
        from kiosk.voice import make_synthesizer

        parts: dict[str, Any] = {
            "endpointer": make_endpointer(settings),
            "wake": make_wake_detector(settings),
        }
        if voice:
            parts["synthesizer"] = make_synthesizer(settings.voice, self.core.paths)
        return parts

    def swap(self, *, settings: Settings, persona: Persona, brain: Brain, **parts: Any) -> None:
        """Put new settings, persona, brain and parts in place at once (hold ``turn_lock``)."""
        for name, value in parts.items():
            setattr(self, name, value)
        old_runner = self.runner
        self.runner = self._make_runner(settings, brain, persona.id)
        self.core.settings, self.core.persona, self.core.brain = settings, persona, brain
        old_runner.close()

    # --- listening control ------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        """Stop (or restart) listening; a paused kiosk sleeps."""
        self.paused = paused
        if paused:
            self.go_to_sleep("paused")

    def go_to_sleep(self, reason: str) -> None:
        """Close the follow-up window; only «Аня» wakes her again."""
        self._awake_until = -1.0
        if self.state != State.SLEEPING:
            self.runner.set_state(State.SLEEPING, reason)

    def wake_up(self, reason: str) -> None:
        """Listen without the wake word for ``listen.follow_up_s``."""
        self._awake_until = self.speaker.position() + self.core.settings.listen.follow_up_s
        self.runner.set_state(State.LISTENING, reason)

    # --- errors ------------------------------------------------------------------------

    def report_error(self, stage: str, exc: BaseException) -> StageError:
        """Log a failed stage, show the error face for a moment, and go on."""
        message = exc.message if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
        error = StageError(stage=stage, message=message)
        _LOGGER.error("stage %s failed: %s", stage, message, exc_info=exc, extra={"stage": stage})
        self.stats.add_error(error)
        self.runner.set_state(State.ERROR, f"{stage}: {message}")
        if self._loop is not None:
            self._loop.call_later(ERROR_FACE_S, self._leave_error)
        return error

    def _leave_error(self) -> None:
        if self.state == State.ERROR:
            self.go_to_sleep("error shown")

    def _go_to_sleep_if_idle(self) -> None:
        now = self.speaker.position()
        if self.state == State.LISTENING and now > self._awake_until:
            self.runner.set_state(State.SLEEPING, "follow-up window closed")

    # --- conversation thread ------------------------------------------------------

    async def converse(self) -> None:
        """Consume captured frames until the source ends or ``stop`` is called."""
        loop = self._loop = asyncio.get_running_loop()
        try:
            await self._start_control()
        finally:
            self.control_ready.set()
        try:
            await self._listen(loop)
        finally:
            if self.control is not None:
                await self.control.close()
            self.stop_event.set()

    async def _start_control(self) -> None:
        from kiosk.daemon.commands import DaemonCommands

        commands = DaemonCommands(self)
        control = ControlServer(
            self.core.paths.socket_path,
            commands.handlers(),
            commands.status,
            admin_group=self.core.settings.daemon.admin_group,
        )
        try:
            await control.start()
        except (KioskError, OSError) as exc:
            # The kiosk still talks to the child; only the parent's TUI is blind.
            _LOGGER.error("no control socket: %s", exc)
            return
        self.control = control

    async def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        frames: asyncio.Queue[AudioFrame | None] = asyncio.Queue(maxsize=500)

        def capture() -> None:
            try:
                for frame in self.audio_in.frames():
                    if self.stop_event.is_set():
                        break
                    loop.call_soon_threadsafe(frames.put_nowait, frame)
            except Exception:
                _LOGGER.exception("capture failed")
            finally:
                loop.call_soon_threadsafe(frames.put_nowait, None)

        capture_thread = threading.Thread(target=capture, name="kiosk-capture", daemon=True)
        capture_thread.start()
        self.runner.set_state(State.SLEEPING, "start")
        while (frame := await frames.get()) is not None:
            self.notifier.watchdog()
            self._purge_if_due()
            self._on_frame(frame)
        for event in self.endpointer.flush():
            if not self._busy():
                self._answer(event)
        if self._reply_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reply_task
        # Let the last reply finish playing before stopping.
        # The speaker's clock is hardware (or wall) time: polling it is the honest wait.
        while (  # noqa: ASYNC110
            self.speaker.pending() > 0 or self.turn_lock.locked()
        ) and not self.stop_event.is_set():
            await asyncio.sleep(0.05)

    def _purge_if_due(self) -> None:
        """Apply the parent's retention setting: at start, then about once an hour."""
        days = self.core.settings.general.retention_days
        now = time.monotonic()
        if not days or now - self._last_purge < 3600.0:
            return
        if self._purge_task is not None and not self._purge_task.done():
            return
        self._last_purge = now
        self._purge_task = asyncio.create_task(self._purge(days))

    async def _purge(self, days: int) -> None:
        try:
            counts = await asyncio.to_thread(self.core.store.purge_older_than, days)
        except Exception as exc:
            self.report_error("store", exc)
            return
        if counts.get("conversations"):
            _LOGGER.info("retention: removed %s (older than %d days)", counts, days)

    def _busy(self) -> bool:
        """A reply is being prepared or spoken (or a parent's phrase is playing)."""
        replying = self._reply_task is not None and not self._reply_task.done()
        return replying or self.turn_lock.locked() or self.speaker.pending() > 0

    def _on_frame(self, frame: AudioFrame) -> None:
        if self.paused:
            self.endpointer.reset()
            return
        if self.echo is None or self.barge_in is None:
            if self._busy():
                # Half-duplex without echo cancellation: do not listen to ourselves.
                self.endpointer.reset()
                return
            clean, cancel = frame, None
        else:
            clean = self.echo.process(frame)
            cancel = self.barge_in.feed(clean, self.echo.last_levels)
        busy = self._busy()
        if busy and cancel is not None and self._reply_task is not None:
            if not self._reply_task.done():
                _LOGGER.info("barge-in at %.2f s: the child talks over Аня", frame.timestamp)
                self._reply_task.cancel()
                self._barged = True
        self._go_to_sleep_if_idle()
        for event in self.endpointer.feed(clean):
            if not isinstance(event, SpeechEnded):
                continue
            if self._busy() and not self._barged:
                continue  # our own echo, or talk while a reply is on its way
            self._barged = False
            self._answer(event)

    def _answer(self, utterance: SpeechEnded) -> None:
        if self.barge_in is not None:
            self.barge_in.reset()
        self._reply_task = asyncio.create_task(self._on_utterance(utterance))

    async def _on_utterance(self, utterance: SpeechEnded) -> None:
        timer = TurnTimer()
        started = time.perf_counter()
        try:
            transcript = await asyncio.to_thread(
                self.transcriber.transcribe, utterance.pcm, utterance.sample_rate
            )
        except Exception as exc:
            self.report_error(_stage_of(exc, "stt"), exc)
            return
        timer.add("stt", (time.perf_counter() - started) * 1000.0)
        awake = self.speaker.position() <= self._awake_until
        detection = self.wake.check(utterance, transcript.text)
        if detection and self._is_own_voice(utterance):
            _LOGGER.info("ignored a wake word in Аня's own voice")
            detection = None
        _LOGGER.info("heard %r (wake=%s, awake=%s)", transcript.text, bool(detection), awake)
        if not (detection or awake):
            return
        text = self.wake.strip(transcript.text) if detection else transcript.text
        if not text.strip():
            self.wake_up("wake word")
            return
        try:
            await self._turn(UserText(text=text, source="voice"), timer)
        except Exception as exc:
            self.report_error(_stage_of(exc, "brain"), exc)

    def _is_own_voice(self, utterance: SpeechEnded) -> bool:
        if self.echo is None or self.echo_gate is None:
            return False
        end = utterance.start + len(utterance.pcm) / 2 / utterance.sample_rate
        reference = self.echo.reference_between(utterance.start, end)
        if not reference:
            return False
        return self.echo_gate.is_echo(self.echo.mic_between(utterance.start, end), reference)

    async def _turn(self, user: UserText, timer: TurnTimer | None = None) -> TurnResult:
        async with self.turn_lock:
            result = await self.runner.run(user, timer)
        self.turns += 1
        self._awake_until = result.speech_end + self.core.settings.listen.follow_up_s
        record = self.stats.add_turn(result)
        if self.control is not None:
            self.control.publish("turn", record)
        return result

    async def run_text(self, text: str) -> TurnResult:
        """A turn as if the child said ``text`` (queued behind a running turn)."""
        try:
            return await self._turn(UserText(text=text, source="admin"))
        except Exception as exc:
            error = self.report_error(_stage_of(exc, "brain"), exc)
            raise ControlCommandFailed(f"ход не удался ({error.stage}): {error.message}") from exc

    async def speak_phrase(self, text: str) -> tuple[float, Coroutine[Any, Any, None]]:
        """Queue ``text`` in Аня's voice; returns (seconds, a coroutine that ends with it).

        The turn lock is held until the phrase has been heard, so turns do not talk over it.
        """
        from kiosk.voice import speak

        await self.turn_lock.acquire()
        try:
            synthesis = await asyncio.to_thread(speak, self.synthesizer, text, "neutral")
            if synthesis is None:
                raise ControlCommandFailed("в этом тексте нечего произнести")
            audio = SpeechAudio(
                pcm=synthesis.pcm,
                sample_rate=synthesis.sample_rate,
                text=text,
                index=0,
                track=synthesis.track,
            )
            start = self.speaker.play(audio)
            self.animator.add_speech(start, audio.track, emotion=audio.emotion)
            self.runner.set_state(State.SPEAKING, "phrase from the parent", at=start)
            self.stats.add_speech(audio.duration)
        except BaseException:
            self.turn_lock.release()
            raise
        return audio.duration, self._finish_phrase(start + audio.duration)

    async def _finish_phrase(self, end: float) -> None:
        try:
            while self.speaker.position() < end and not self.stop_event.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            self._awake_until = end + self.core.settings.listen.follow_up_s
            self.runner.set_state(State.LISTENING, "phrase said", at=end)
        finally:
            self.turn_lock.release()

    def stop(self) -> None:
        """Ask every thread to finish."""
        self.stop_event.set()
        self.audio_in.close()


def _make_echo_parts(settings: Settings) -> tuple[Any, Any, Any]:
    """Echo canceller, barge-in detector and echo gate; (None, None, None) for half-duplex."""
    if not (settings.listen.echo_cancellation and settings.listen.barge_in):
        return None, None, None
    from kiosk.listen import make_barge_in_detector, make_echo_canceller
    from kiosk.listen.bargein import EchoGate

    try:
        echo = make_echo_canceller(settings)
    except RuntimeError as exc:
        _LOGGER.warning("no echo cancellation (%s): half-duplex, no barge-in", exc)
        return None, None, None
    gate = EchoGate(settings.audio.sample_rate)
    return echo, make_barge_in_detector(settings), gate


class EchoReferenceSpeaker:
    """A speaker that hands what it plays to the echo canceller as the far-end reference."""

    def __init__(self, speaker: AudioOut, echo: Any) -> None:
        self._speaker = speaker
        self._echo = echo
        self.sample_rate = speaker.sample_rate

    def play(self, audio: SpeechAudio) -> float:
        """Queue ``audio`` and its reference (the reference queues like the speaker)."""
        start = self._speaker.play(audio)
        self._echo.feed_reference(audio.pcm, audio.sample_rate)
        return start

    def position(self) -> float:
        """The wrapped speaker's clock."""
        return self._speaker.position()

    def pending(self) -> float:
        """Seconds queued on the wrapped speaker."""
        return self._speaker.pending()

    def flush(self) -> None:
        """Barge-in: drop queued audio and its reference."""
        self._speaker.flush()
        self._echo.flush_reference()

    def close(self) -> None:
        """Close the wrapped speaker."""
        self._speaker.close()


def _demo_input(paths: Paths, settings: Settings) -> Path:
    """The bundled questions joined with pauses into one WAV, as if a child spoke them."""
    from kiosk.audio.wav import read_wav, resample, write_wav
    from kiosk.demo import demo_questions

    rate = settings.audio.sample_rate
    silence = b"\0\0" * int(rate * 6.0)  # room for the answer before the next question
    parts = [b"\0\0" * int(rate * 0.5)]
    for path in demo_questions(paths.content_dir):
        pcm, src = read_wav(path)
        parts += [resample(pcm, src, rate), silence]
    out = paths.output_dir / "demo-input.wav"
    write_wav(out, b"".join(parts), rate)
    return out


def _real_time(speaker: AudioOut) -> AudioOut:
    """A virtual-clock speaker made to run with wall time (no sound card, or a file input)."""
    from kiosk.audio.wav import TimelineSpeaker
    from kiosk.demo import WallFollowingSpeaker

    if isinstance(speaker, TimelineSpeaker):
        following = WallFollowingSpeaker(speaker)
        following.resume_at(0.0)
        return following
    return speaker


def _render_failed(live: LiveLoop, exc: Exception) -> None:
    """A frame failed to draw: report it on the conversation loop (at most once a second)."""
    now = time.monotonic()
    if now - getattr(live, "_last_render_error", -10.0) < 1.0:
        return
    live._last_render_error = now  # type: ignore[attr-defined]
    if live._loop is not None and not live._loop.is_closed():
        live._loop.call_soon_threadsafe(live.report_error, "avatar", exc)
    else:
        _LOGGER.error("avatar frame failed: %s", exc)


def run_live(
    settings: Settings,
    paths: Paths,
    *,
    demo: bool = False,
    headless: bool = False,
    input_wav: Path | None = None,
) -> int:
    """Run the kiosk until stopped (or until a file/demo input ends); return turns taken."""
    from kiosk.audio import make_audio_in, make_audio_out
    from kiosk.avatar import make_renderer
    from kiosk.avatar.animator import Animator
    from kiosk.avatar.display import make_display
    from kiosk.daemon.assemble import open_core

    notifier = Notifier()
    notifier.status("загружаю модели")
    if demo and input_wav is None:
        input_wav = _demo_input(paths, settings)
    core = open_core(settings, paths)
    try:
        if input_wav is not None:
            from kiosk.audio.wav import WavFileSource

            audio_in: AudioIn = WavFileSource(
                input_wav,
                sample_rate=settings.audio.sample_rate,
                frame_ms=settings.audio.frame_ms,
                realtime=True,
            )
        else:
            audio_in = make_audio_in(settings, wav=None)
        speaker = _real_time(make_audio_out(settings, headless=headless or input_wav is not None))
        animator = Animator()
        live = LiveLoop(core, audio_in, speaker, animator, notifier)
        renderer = make_renderer(settings.avatar, paths.avatars_dir)
        live.avatar_name = getattr(renderer, "name", type(renderer).__name__)
        display = make_display(settings.avatar, headless=headless)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: live.stop())
        conversation = threading.Thread(
            target=lambda: asyncio.run(live.converse()), name="kiosk-conversation", daemon=True
        )
        conversation.start()
        live.control_ready.wait(timeout=30)  # READY means the parent's TUI can connect too
        notifier.ready(_STATUS[State.SLEEPING])
        frame_time = 1.0 / settings.avatar.fps
        try:
            while not live.stop_event.is_set():
                started = time.perf_counter()
                t = speaker.position()
                try:
                    display.show(renderer.draw(animator.pose_at(t), t), t)
                except KioskError:
                    raise  # the display is gone: systemd restarts us
                except Exception as exc:
                    _render_failed(live, exc)
                live.fps.tick()
                if getattr(display, "closed", False):
                    live.stop()
                time.sleep(max(0.0, frame_time - (time.perf_counter() - started)))
        finally:
            notifier.stopping()
            live.stop()
            conversation.join(timeout=10)
            display.close()
            with contextlib.suppress(Exception):
                speaker.close()
            live.runner.close()
            live.monitor.close()
        return live.turns
    finally:
        core.close()
