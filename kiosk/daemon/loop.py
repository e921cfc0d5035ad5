"""The live loop's core: its parts, state and notices, and the controls the TUI uses.

The path of each microphone frame is in ``kiosk.daemon.frames``; what happens to a
finished utterance (and to text and phrases from the parent) is in ``kiosk.daemon.replies``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from kiosk.audio.resilient import LOST
from kiosk.config import Settings
from kiosk.daemon import frames, replies
from kiosk.daemon.control import ControlServer
from kiosk.daemon.echo import EchoReferenceSpeaker, make_echo_parts
from kiosk.daemon.known_lines import preload_known_lines
from kiosk.daemon.notify import Notifier
from kiosk.daemon.pipeline import TurnResult, TurnRunner
from kiosk.daemon.policy import TalkPolicy
from kiosk.daemon.resources import ResourceMonitor
from kiosk.daemon.stats import DaemonStats, FpsMeter
from kiosk.errors import KioskError
from kiosk.events import SpeechEnded, StageError, State, StateChanged

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from kiosk.audio.base import AudioIn, AudioOut
    from kiosk.avatar.animator import Animator
    from kiosk.brain import Brain, Persona
    from kiosk.daemon.assemble import Core

__all__ = ["ERROR_FACE_S", "MIC_LOST_NOTICE", "STATUS_TEXT", "LiveLoop", "TurnLock"]

_LOGGER = logging.getLogger(__name__)

STATUS_TEXT = {
    State.SLEEPING: "сплю (жду «Аня»)",
    State.LISTENING: "слушаю",
    State.THINKING: "думаю",
    State.SPEAKING: "говорю",
    State.ERROR: "ошибка",
}
"""The state as the parent reads it in ``systemctl status``."""

ERROR_FACE_S = 3.0
"""Seconds the avatar shows the error face after a stage fails."""

MIC_LOST_NOTICE = "микрофон отключён"


class TurnLock(asyncio.Lock):
    """The turn lock, remembering since when its holder has held it (for the hang watch)."""

    held_since: float | None = None
    """``time.monotonic()`` when the current holder took the lock; None while free."""

    async def acquire(self) -> Literal[True]:
        """Wait for the lock, then note the time."""
        await super().acquire()
        self.held_since = time.monotonic()
        return True

    def release(self) -> None:
        """Free the lock for the next holder."""
        self.held_since = None
        super().release()


class LiveLoop:
    """One running kiosk: capture, conversation and avatar wired together."""

    def __init__(
        self,
        core: Core,
        audio_in: AudioIn,
        speaker: AudioOut,
        animator: Animator,
        notifier: Notifier,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Wire the stages; ``clock`` (local, aware) decides quiet hours and "today"."""
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
        self.transcriber: Any = make_transcriber(settings, core.paths)
        self.synthesizer = make_synthesizer(settings.voice, core.paths)
        self.tagger = replies.make_tagger(settings, core)
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
        self.policy = TalkPolicy(settings.general, core.store, *([clock] if clock else []))
        self.listeners: list[Callable[[StateChanged], None]] = []
        """Called with every state change (on the conversation loop)."""
        self.notices: dict[str, str] = {}
        """Why the kiosk is not at its best, for the parent: key → Russian line."""
        if core.brain_notice:
            self.notices["brain"] = core.brain_notice
        if getattr(self.transcriber, "gpu_fallback", None):
            self.notices["stt"] = "распознавание на процессоре: видеокарта не загрузила модель"
        self.turn_lock = TurnLock()
        """Held by whatever drives the avatar's voice: a turn, a phrase, a swap of parts."""
        self.control: ControlServer | None = None
        self.control_ready = threading.Event()
        """Set once the control socket is serving (or has failed to start)."""
        self.idle_unload_s = settings.daemon.idle_unload_min * 60.0
        """Seconds without a conversation before the models are unloaded (0: never)."""
        self.unloaded = False
        """True while idle unloading has dropped the models (they reload on the next wake)."""
        self.brain_unloaded = False
        """True while the LLM is replaced by a scripted stand-in (idle unloading)."""
        self.load_lock: asyncio.Lock | None = None
        """Serialises reloading after idle unloading (made on the loop)."""
        self.last_activity = time.monotonic()
        """``time.monotonic()`` of the latest talk, for idle unloading."""
        self.awake_until = -1.0
        """Playback-clock end of the follow-up window (no wake word needed until then)."""
        self.parent_until = -1.0
        """Playback-clock end of a window opened by the parent (quiet hours do not apply)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self.echo, self.barge_in, self.echo_gate = make_echo_parts(settings)
        if self.echo is not None:
            self.speaker = EchoReferenceSpeaker(speaker, self.echo)
        self.reply_task: asyncio.Task[None] | None = None
        """The utterance being answered (STT → turn); cancelled by barge-in."""
        self.reply_started = 0.0
        """``time.monotonic()`` when ``reply_task`` began (for the hang watch)."""
        self.barged = False
        """Barge-in cancelled a reply: the next utterance is the child's, not our echo."""
        self.hearing = replies.HearingCounts()
        """What became of the utterances heard: STT skipped, wakes, vetoes, joins."""
        self.last_utterance: SpeechEnded | None = None
        """The utterance answered last (a continuation within ``JOIN_S`` is joined to it)."""
        self.joining: SpeechEnded | None = None
        """An utterance whose reply was cancelled because the child went on talking."""
        self.last_purge = -1e9
        """``time.monotonic()`` of the latest retention purge."""
        self.last_policy_check = -1e9
        """``time.monotonic()`` of the latest quiet-hours/limit check."""
        self.tasks: set[asyncio.Task[Any]] = set()
        """Background tasks (phrases, purges, unloading) kept referenced until done."""
        self.runner = self._make_runner(settings, core.brain, core.persona.id)
        self.preload: asyncio.Task[int] | None = None
        """Known lines (redirects, goodnight, …) going into the speech cache after start-up."""

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
        self._publish_status()
        _LOGGER.info(
            "state %s (%s)",
            change.state,
            change.reason,
            extra={"state": change.state.value, "stage": "daemon"},
        )
        if self.control is not None:
            self.control.publish("state", {"state": change.state.value, "reason": change.reason})
        for listener in self.listeners:
            listener(change)

    def status_line(self) -> str:
        """The state and the notices, as ``systemctl status`` shows them."""
        notices = "; ".join(self.notices.values())
        return STATUS_TEXT[self.state] + (f"; {notices}" if notices else "")

    def _publish_status(self) -> None:
        self.notifier.status(self.status_line())

    def set_notice(self, key: str, text: str | None) -> None:
        """Show (or with None, clear) a notice for the parent; logged when it changes."""
        old = self.notices.get(key)
        if text == old:
            return
        if text is None:
            del self.notices[key]
            _LOGGER.info("notice cleared: %s", old, extra={"stage": "daemon"})
        else:
            self.notices[key] = text
            _LOGGER.warning("notice: %s", text, extra={"stage": "daemon"})
        self._publish_status()

    def on_mic_state(self, state: str) -> None:
        """``ResilientSource`` reports "lost"/"restored" (from the capture thread)."""
        text = MIC_LOST_NOTICE if state == LOST else None
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.set_notice, "mic", text)
        else:
            self.set_notice("mic", text)

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
        self.policy.general = settings.general
        old_runner.close()

    # --- listening control ------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        """Stop (or restart) listening; a paused kiosk sleeps."""
        self.paused = paused
        if paused:
            self.joining = self.last_utterance = None
            self.go_to_sleep("paused")

    def go_to_sleep(self, reason: str) -> None:
        """Close the follow-up window; only «Аня» wakes her again."""
        self.awake_until = self.parent_until = -1.0
        if self.state != State.SLEEPING:
            self.runner.set_state(State.SLEEPING, reason)

    def wake_up(self, reason: str, *, by_parent: bool = False) -> None:
        """Listen without the wake word for ``listen.follow_up_s``.

        ``by_parent``: the parent opened it (TUI), so quiet hours and the limit do not apply.
        """
        self.awake_until = self.speaker.position() + self.core.settings.listen.follow_up_s
        if by_parent:
            self.parent_until = self.awake_until
        self.runner.set_state(State.LISTENING, reason)

    def request_talk(self, reason: str, *, by_parent: bool = False) -> bool:
        """Push-to-talk or the TUI's ``talk``: listen now, no wake word needed.

        The child's key obeys quiet hours and the daily limit (she hears why not);
        returns False when listening does not open.
        """
        if self.paused:
            return False
        self.last_activity = time.monotonic()
        if not by_parent:
            refusal = replies.check_policy(self)
            if refusal is not None:
                self.spawn(replies.refuse(self, refusal))
                return False
        self.wake_up(reason, by_parent=by_parent)
        return True

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task the loop keeps a reference to."""
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

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

    def go_to_sleep_if_idle(self) -> None:
        """Sleep once the follow-up window has closed."""
        now = self.speaker.position()
        if self.state == State.LISTENING and now > self.awake_until:
            self.runner.set_state(State.SLEEPING, "follow-up window closed")

    # --- conversation thread ------------------------------------------------------

    async def converse(self) -> None:
        """Consume captured frames until the source ends or ``stop`` is called."""
        loop = self._loop = asyncio.get_running_loop()
        try:
            await self._start_control()
        finally:
            self.control_ready.set()
        self.preload = asyncio.create_task(  # after READY, in a worker: never delays it
            asyncio.to_thread(
                preload_known_lines, self.synthesizer, self.core.persona, self.stop_event
            )
        )
        try:
            await frames.listen(self, loop)
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

    def audible(self) -> bool:
        """Аня's voice is playing (or about to, between two sentences of a reply)."""
        return self.speaker.pending() > 0 or self.state == State.SPEAKING

    def busy(self) -> bool:
        """A reply is being prepared or spoken (or a parent's phrase is playing)."""
        replying = self.reply_task is not None and not self.reply_task.done()
        return replying or self.turn_lock.locked() or self.speaker.pending() > 0

    # --- for the control socket ---------------------------------------------------------

    async def run_text(self, text: str) -> TurnResult:
        """A turn as if the child said ``text`` (the parent typing; limits do not apply)."""
        return await replies.run_text(self, text)

    async def speak_phrase(self, text: str) -> tuple[float, Coroutine[Any, Any, None]]:
        """Queue ``text`` in Аня's voice; returns (seconds, a coroutine that ends with it)."""
        return await replies.speak_phrase(self, text)

    def stop(self) -> None:
        """Ask every thread to finish."""
        self.stop_event.set()
        self.audio_in.close()
