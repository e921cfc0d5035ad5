"""The live loop: microphone → wake/VAD → STT → turn; the avatar drawn on the main thread.

SDL wants the main thread, so the render loop runs there; the conversation runs on an
asyncio loop in a second thread; capture runs in its own thread and only hands frames
over. The skeleton is half-duplex: while Аня speaks, captured audio is discarded (echo
cancellation and barge-in belong to the Hearing issue).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.daemon.notify import Notifier
from kiosk.daemon.pipeline import TurnRunner, TurnTimer
from kiosk.events import AudioFrame, SpeechEnded, State, StateChanged, UserText
from kiosk.paths import Paths

if TYPE_CHECKING:
    from kiosk.audio.base import AudioIn, AudioOut
    from kiosk.avatar.animator import Animator
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
        self.synthesizer = make_synthesizer(settings.voice)
        self.state = State.SLEEPING
        self.stop_event = threading.Event()
        self.turns = 0
        self._awake_until = -1.0
        self.runner = TurnRunner(
            core.brain,
            core.store,
            persona_id=core.persona.id,
            synthesizer=self.synthesizer,
            speaker=speaker,
            animator=animator,
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

    def _go_to_sleep_if_idle(self) -> None:
        now = self.speaker.position()
        if self.state == State.LISTENING and now > self._awake_until:
            self.runner.set_state(State.SLEEPING, "follow-up window closed")

    # --- conversation thread ------------------------------------------------------

    async def converse(self) -> None:
        """Consume captured frames until the source ends or ``stop`` is called."""
        loop = asyncio.get_running_loop()
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
            if self.speaker.pending() > 0:
                # Half-duplex: do not listen to ourselves.
                self.endpointer.reset()
                continue
            self._go_to_sleep_if_idle()
            for event in self.endpointer.feed(frame):
                if isinstance(event, SpeechEnded):
                    await self._on_utterance(event)
        for event in self.endpointer.flush():
            await self._on_utterance(event)
        # Let the last reply finish playing before stopping.
        # The speaker's clock is hardware (or wall) time: polling it is the honest wait.
        while self.speaker.pending() > 0 and not self.stop_event.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        self.stop_event.set()

    async def _on_utterance(self, utterance: SpeechEnded) -> None:
        timer = TurnTimer()
        started = time.perf_counter()
        transcript = await asyncio.to_thread(
            self.transcriber.transcribe, utterance.pcm, utterance.sample_rate
        )
        timer.add("stt", (time.perf_counter() - started) * 1000.0)
        awake = self.speaker.position() <= self._awake_until
        detection = self.wake.check(utterance, transcript.text)
        _LOGGER.info("heard %r (wake=%s, awake=%s)", transcript.text, bool(detection), awake)
        if not (detection or awake):
            return
        text = self.wake.strip(transcript.text) if detection else transcript.text
        if not text.strip():
            self.runner.set_state(State.LISTENING, "wake word")
            self._awake_until = self.speaker.position() + self.core.settings.listen.follow_up_s
            return
        result = await self.runner.run(UserText(text=text, source="voice"), timer)
        self.turns += 1
        self._awake_until = result.speech_end + self.core.settings.listen.follow_up_s

    def stop(self) -> None:
        """Ask every thread to finish."""
        self.stop_event.set()
        self.audio_in.close()


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
        renderer = make_renderer(settings.avatar)
        display = make_display(settings.avatar, headless=headless)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: live.stop())
        conversation = threading.Thread(
            target=lambda: asyncio.run(live.converse()), name="kiosk-conversation", daemon=True
        )
        conversation.start()
        notifier.ready(_STATUS[State.SLEEPING])
        frame_time = 1.0 / settings.avatar.fps
        try:
            while not live.stop_event.is_set():
                started = time.perf_counter()
                t = speaker.position()
                display.show(renderer.draw(animator.pose_at(t), t), t)
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
        return live.turns
    finally:
        core.close()
