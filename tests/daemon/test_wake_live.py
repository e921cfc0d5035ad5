"""The acoustic «Аня» in the live loop: no STT while asleep, a bare name, a joined pause,
and Аня's own voice saying her name through a simulated room."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk.audio.wav import resample
from kiosk.avatar.animator import Animator
from kiosk.config import Settings, VoiceSettings
from kiosk.daemon.assemble import open_core
from kiosk.daemon.loop import LiveLoop
from kiosk.daemon.notify import Notifier
from kiosk.events import AudioFrame, SpeechAudio, State
from kiosk.listen.oww import WAKE_HEAD, backbone_dir
from kiosk.paths import resolve_paths

from .harness import FRAME, RATE, FastSpeaker, Running, ScriptedMic, speech

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        backbone_dir() is None or not WAKE_HEAD.is_file(),
        reason="needs openwakeword==0.4.0 and content/wake/anya.npz",
    ),
]

QUESTION = "Что ты любишь рисовать?"


class RoomMic(ScriptedMic):
    """The scripted mic, plus what the speaker plays coming back through a small room."""

    def __init__(self) -> None:
        super().__init__()
        self._echo = np.zeros(0, dtype=np.float64)
        self._lock = threading.Lock()

    OUTPUT_LATENCY = 3 * FRAME
    """Samples the sound card holds before the sound leaves the speaker (90 ms).

    The daemon hands the reference to the canceller just after the audio to the
    speaker; a real card plays it a buffer later, so its echo never comes before the
    reference. Without this latency a frame captured in between would put the echo
    ahead of its reference here: a room no microphone can be in."""

    def hear_played(self, pcm: bytes, rate: int) -> None:
        """Mix ``pcm`` (as the room returns it: 50 ms late, 3 dB down) into the next frames."""
        from kiosk.listen.echo import simulate_room

        played = resample(pcm, rate, RATE)
        echo = np.frombuffer(simulate_room(played, RATE, delay_ms=50, gain_db=-3.0), "<i2")
        with self._lock:
            lead = np.zeros(0 if self._echo.size else self.OUTPUT_LATENCY)
            self._echo = np.concatenate([self._echo, lead, echo.astype(np.float64)])

    def frames(self) -> Iterator[AudioFrame]:
        """Scripted frames with the room's echo added."""
        rng = np.random.default_rng(0)
        for frame in super().frames():
            with self._lock:
                echo, self._echo = self._echo[:FRAME], self._echo[FRAME:]
            mic = np.frombuffer(frame.pcm, "<i2").astype(np.float64)
            mic[: len(echo)] += echo
            mic += rng.standard_normal(FRAME) * 30  # room hiss
            pcm = np.clip(np.round(mic), -32768, 32767).astype("<i2").tobytes()
            yield AudioFrame(pcm=pcm, sample_rate=RATE, timestamp=frame.timestamp)


class RoomSpeaker(FastSpeaker):
    """A fast virtual speaker whose sound reaches a ``RoomMic``.

    ``stalls``: seconds the conversation loop is kept busy before each sentence
    plays (cycled), as when STT or the LLM starve it: frames keep being captured and
    wait in the queue, so capture runs ahead of processing when the sound starts.
    """

    def __init__(self, mic: RoomMic, stalls: tuple[float, ...] = (0.0,)) -> None:
        super().__init__()
        self.mic = mic
        self._stalls = itertools.cycle(stalls)

    def play(self, audio: SpeechAudio) -> float:
        """Schedule ``audio`` and let the room carry it to the mic."""
        time.sleep(next(self._stalls))  # called on the loop: nothing is processed meanwhile
        self.mic.hear_played(audio.pcm, audio.sample_rate)
        return super().play(audio)

    def flush(self) -> None:
        """Barge-in: what has not been played never reaches the room."""
        with self.mic._lock:
            self.mic._echo = self.mic._echo[: RATE // 10]  # ~100 ms already in the air
        super().flush()


@pytest.fixture
def start_wake_live(tmp_path: Path, whisper_base_dir: Path) -> Iterator[Callable[..., Running]]:
    """A live loop with the acoustic wake word and ``listen`` overrides (real stages)."""
    started: list[Running] = []

    def start(*, room: bool = False, stalls: tuple[float, ...] = (0.0,), **listen: Any) -> Running:
        settings = Settings(
            paths={"data_dir": tmp_path / "d"},  # type: ignore[arg-type]
            brain={"engine": "scripted"},  # type: ignore[arg-type]
            stt={"model": str(whisper_base_dir)},  # type: ignore[arg-type]
            listen={"echo_cancellation": False, "follow_up_s": 60.0, **listen},  # type: ignore[arg-type]
            daemon={"socket_path": tmp_path / "k.sock"},  # type: ignore[arg-type]
        )
        core = open_core(settings, resolve_paths(settings).ensure())
        mic = RoomMic() if room else ScriptedMic()
        speaker = RoomSpeaker(mic, stalls) if isinstance(mic, RoomMic) else FastSpeaker()
        live = LiveLoop(core, mic, speaker, Animator(), Notifier())
        running = Running(live=live, mic=mic, speaker=speaker)
        live.listeners.append(running.states.append)
        running.thread = threading.Thread(target=lambda: asyncio.run(live.converse()), daemon=True)
        running.thread.start()
        assert live.control_ready.wait(30)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
        running.live.runner.close()
        running.live.monitor.close()
        running.live.core.close()


def child_turns(running: Running) -> list[str]:
    rows = running.live.core.store.db.execute(
        "SELECT text FROM turns WHERE role = 'child' ORDER BY id"
    ).fetchall()
    return [row[0] for row in rows]


def settled(running: Running) -> Callable[[], bool]:
    """The last utterance has been dealt with and nothing plays."""
    live = running.live
    return lambda: live.reply_task is not None and live.reply_task.done() and running.idle()


def test_asleep_speech_without_the_name_is_never_transcribed(
    start_wake_live: Callable[..., Running], festival_wav: Any
) -> None:
    running = start_wake_live()
    live = running.live
    assert live.wake.needs_transcript is False  # listen.wake_engine "auto" → the acoustic head
    for text in (QUESTION, "Таня, иди обедать.", "Мы ходили в зоопарк и видели жирафа."):
        running.mic.say(speech(festival_wav(text)))
    # A sentence cut at a pause is joined and judged again: count the final verdicts.
    running.wait(lambda: live.hearing.stt_skipped >= 3 and settled(running)(), timeout=90)
    assert live.hearing.transcribed == 0
    assert child_turns(running) == [] and live.state == State.SLEEPING

    running.mic.say(speech(festival_wav("Аня, " + QUESTION.lower())))
    running.wait(lambda: live.turns == 1 and running.idle(), timeout=60)
    assert live.hearing.wakes == 1 and live.hearing.transcribed == 1
    (said,) = child_turns(running)
    assert "рисовать" in said.lower()
    assert not said.lower().startswith(("аня", "а нет")), said  # the name is stripped


def test_a_bare_name_opens_listening_and_the_question_after_a_pause_is_answered(
    start_wake_live: Callable[..., Running], festival_wav: Any
) -> None:
    running = start_wake_live()
    live = running.live
    running.mic.say(speech(festival_wav("Аня!")))
    running.wait(lambda: live.state == State.LISTENING, timeout=60)
    running.wait(settled(running), timeout=30)
    assert live.hearing.bare_wakes == 1 and live.turns == 0
    assert running.speaker.texts() == []  # no reply to the name alone
    running.mic.say(speech(festival_wav(QUESTION)))  # no name: she is listening
    running.wait(lambda: live.turns == 1 and running.idle(), timeout=60)
    assert "рисовать" in child_turns(running)[0].lower()


def test_a_sentence_cut_at_a_pause_is_answered_once_joined(
    start_wake_live: Callable[..., Running], festival_wav: Any
) -> None:
    running = start_wake_live(end_silence_ms=240)
    live = running.live
    running.wait(lambda: live.state == State.SLEEPING)
    running.call(live.wake_up, "test")  # in the follow-up window: no name needed
    # Festival pauses ~330 ms at each comma: 240 ms of silence cuts the sentence there.
    running.mic.say(speech(festival_wav("Расскажи, пожалуйста, про динозавров.")))
    running.wait(lambda: live.turns >= 1 and running.idle(), timeout=90)
    assert live.hearing.joined >= 1
    turns = child_turns(running)
    assert len(turns) == 1, turns  # answered once
    assert "расскаж" in turns[0].lower() and "динозавр" in turns[0].lower(), turns
    replies = running.live.core.store.db.execute(
        "SELECT COUNT(*) FROM turns WHERE role = 'avatar'"
    ).fetchone()[0]
    assert replies == 1


def test_anyas_own_voice_saying_her_name_does_not_wake_her(
    start_wake_live: Callable[..., Running], festival_wav: Any
) -> None:
    pytest.importorskip("livekit.rtc", reason="needs the livekit wheel (echo extra)")
    from kiosk.voice import make_synthesizer

    running = start_wake_live(room=True, echo_cancellation=True)
    live = running.live
    assert live.echo is not None and live.echo_gate is not None
    line = "Знаешь, что я люблю? Аня любит рисовать котов. Аня, привет! Аня, как дела?"
    synthesis = make_synthesizer(VoiceSettings()).synthesize(line)
    audio = SpeechAudio(synthesis.pcm, synthesis.sample_rate, line, 0, synthesis.track)
    start = running.call(lambda: (live.speaker.play(audio), live.echo.frames_processed)[1])
    # The echo may come through as utterances or be cancelled away entirely: wait it out.
    running.wait(lambda: running.mic._echo.size == 0, timeout=60)
    time.sleep(0.5)  # two seconds of mic time: any utterance has ended
    running.wait(running.idle, timeout=60)
    assert live.hearing.wakes == 0 and live.hearing.transcribed == 0, live.hearing
    assert child_turns(running) == [] and live.state == State.SLEEPING
    assert not any(s.reason == "wake word" for s in running.states)
    # Without the canceller the microphone would have woken her: the guard did the work.
    at = start * FRAME / RATE
    raw = live.echo.mic_between(at, at + audio.duration + 0.5)
    assert live.wake.scan(raw, at), "the raw microphone should hold a wake word"

    # The child calling her right after is still heard.
    running.mic.say(speech(festival_wav("Аня, " + QUESTION.lower())))
    running.wait(lambda: live.hearing.wakes == 1, timeout=60)
    running.wait(running.idle, timeout=60)


def test_anyas_replies_do_not_barge_in_on_themselves_when_the_loop_lags(
    start_wake_live: Callable[..., Running], festival_wav: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Each sentence starts while 0-480 ms of captured frames wait (4x real time):
    the reference must sit on the microphone's clock, not behind the processed frames."""
    pytest.importorskip("livekit.rtc", reason="needs the livekit wheel (echo extra)")
    caplog.set_level(logging.INFO, logger="kiosk.daemon.frames")
    running = start_wake_live(room=True, echo_cancellation=True, stalls=(0.0, 0.12, 0.04, 0.1))
    live = running.live
    for turn, text in enumerate(("Аня, " + QUESTION.lower(), "Аня, " + QUESTION.lower())):
        running.mic.say(speech(festival_wav(text)))
        running.wait(lambda t=turn: live.turns >= t + 1, timeout=90)
        running.wait(lambda: running.mic._echo.size == 0 and running.idle(), timeout=90)
        time.sleep(0.5)  # two seconds of mic time: the echo's last utterance has ended
        running.wait(running.idle, timeout=60)
    barge_ins = [r.getMessage() for r in caplog.records if "barge-in at" in r.getMessage()]
    assert barge_ins == [], barge_ins
    replies = live.core.store.db.execute(
        "SELECT text, safety FROM turns WHERE role = 'avatar' ORDER BY id"
    ).fetchall()
    assert len(replies) == 2 and not any("interrupted" in (r[1] or "") for r in replies), replies
    assert len(child_turns(running)) == 2  # and she did not answer her own echo


def test_her_own_voice_in_the_follow_up_window_is_not_answered(
    start_wake_live: Callable[..., Running], festival_wav: Any
) -> None:
    """Awake, speech needs no name: the echo gate must drop what comes back of her own
    voice (here the whole raw echo handed over as one utterance, as a room whose echo
    the canceller cannot remove would deliver it), and still let the child through."""
    pytest.importorskip("livekit.rtc", reason="needs the livekit wheel (echo extra)")
    from kiosk.daemon import frames
    from kiosk.events import SpeechEnded
    from kiosk.voice import make_synthesizer

    running = start_wake_live(room=True, echo_cancellation=True)
    live = running.live
    assert live.echo is not None
    line = "Я очень люблю рисовать котов и собак. А ещё я люблю петь весёлые песни."
    synthesis = make_synthesizer(VoiceSettings()).synthesize(line)
    audio = SpeechAudio(synthesis.pcm, synthesis.sample_rate, line, 0, synthesis.track)
    start = running.call(lambda: (live.speaker.play(audio), live.echo.frames_processed)[1])
    running.wait(lambda: running.mic._echo.size == 0, timeout=60)
    time.sleep(0.5)
    running.wait(running.idle, timeout=60)
    turns_before = child_turns(running)
    at = start * FRAME / RATE
    end = at + audio.duration + 0.2
    echo = SpeechEnded(live.echo.mic_between(at, end), RATE, at, end, end + 0.24)

    running.call(live.wake_up, "test")  # the follow-up window is open
    running.call(frames.answer, live, echo)
    running.wait(settled(running), timeout=60)
    assert live.hearing.own_voice == 1, live.hearing
    assert live.hearing.transcribed == 0 and child_turns(running) == turns_before

    # The child answering her in the same window is heard.
    running.mic.say(speech(festival_wav(QUESTION)))
    running.wait(lambda: live.turns == 1 and running.idle(), timeout=60)
    assert "рисовать" in child_turns(running)[-1].lower()
