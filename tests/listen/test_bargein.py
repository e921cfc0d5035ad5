"""Barge-in and the echo gate on real voices: Аня (espeak-ng) in a simulated room, a child over her.

The child is Festival's Russian voice pitched up (sox ``pitch 300``); Аня's reply
is looped into the "microphone" through ``simulate_room`` (delay, attenuation,
reverberation), as the kiosk's speaker would be.
"""

from __future__ import annotations

import math
import shutil
import statistics
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kiosk.audio.wav import read_wav, resample
from kiosk.config import VoiceSettings
from kiosk.errors import AudioFormatError
from kiosk.events import AudioFrame, Cancel
from kiosk.listen.bargein import BARGE_IN, BargeInDetector, EchoGate
from kiosk.listen.echo import EchoCanceller, simulate_room
from kiosk.listen.vad import WebRtcEndpointer, frame_dbfs
from kiosk.listen.wake import TranscriptWakeDetector
from kiosk.voice import make_synthesizer

pytest.importorskip("livekit.rtc", reason="needs the livekit wheel (echo extra)")

RATE = 16000
FRAME = 480
ANYA_TEXT = (
    "Знаешь, а у меня есть любимая книжка. Там живёт маленький дракон, который боялся "
    "летать. Каждый день он смотрел на облака и мечтал. Однажды его друг ёжик сказал: "
    "попробуй, я в тебя верю! И дракон полетел."
)
ANYA_WORDS = ("книжк", "дракон", "летат", "облак", "мечтал", "ёжик", "ежик", "верю")
CHILD_TEXT = "Мама, расскажи мне сказку про рыжего кота."
LATENCIES: list[float] = []


@pytest.fixture(scope="module")
def anya() -> tuple[bytes, int]:
    """Аня's reply as the kiosk says it (espeak-ng ru+f3, ~13 s at 22 050 Hz)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng")
    synthesis = make_synthesizer(VoiceSettings()).synthesize(ANYA_TEXT)
    return synthesis.pcm, synthesis.sample_rate


@pytest.fixture(scope="module")
def child(festival_wav, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The child's question: Festival's Russian voice three semitones up, 16 kHz, onset at 0."""
    source = festival_wav(CHILD_TEXT, before=0.0, after=0.2)
    out = tmp_path_factory.mktemp("child") / "child.wav"
    subprocess.run(["sox", str(source), str(out), "pitch", "300"], check=True)
    pcm, rate = read_wav(out)
    return resample(pcm, rate, RATE)


def rms(x: np.ndarray) -> float:
    return math.sqrt(float(np.mean(x.astype(np.float64) ** 2)))


def room_mic(
    anya: tuple[bytes, int],
    child: bytes | None = None,
    *,
    child_at: float = 0.0,
    ser_db: float = 0.0,
    delay_ms: float = 50.0,
    gain_db: float = -6.0,
    seed: int = 0,
) -> bytes:
    """The microphone: Аня's echo, plus the child ``ser_db`` louder than the echo, plus hiss."""
    played = resample(anya[0], anya[1], RATE)
    echo = np.frombuffer(
        simulate_room(played, RATE, delay_ms=delay_ms, gain_db=gain_db, seed=seed), dtype="<i2"
    ).astype(np.float64)
    mic = echo.copy()
    if child is not None:
        voice = np.frombuffer(child, dtype="<i2").astype(np.float64)
        voice *= rms(echo) / rms(voice) * 10 ** (ser_db / 20)
        at = int(child_at * RATE)
        mic[at : at + len(voice)] += voice[: len(mic) - at]
    mic += np.random.default_rng(seed).standard_normal(len(mic)) * 30  # room hiss, ~-60 dBFS
    return np.clip(np.round(mic), -32768, 32767).astype("<i2").tobytes()


def frames_of(pcm: bytes) -> list[AudioFrame]:
    step = FRAME * 2
    return [
        AudioFrame(pcm[at : at + step], RATE, at / 2 / RATE)
        for at in range(0, len(pcm) - step + 1, step)
    ]


def run_live(
    mic: bytes, reference: tuple[bytes, int] | None, detector: BargeInDetector
) -> tuple[list[float], EchoCanceller, bytes]:
    """Feed the speaker's audio at t=0 and the mic frame by frame; return barge-in times."""
    canceller = EchoCanceller(RATE)
    if reference is not None:
        canceller.feed_reference(*reference)
    fired: list[float] = []
    cleaned = bytearray()
    for frame in frames_of(mic):
        clean = canceller.process(frame)
        cleaned += clean.pcm
        cancel = detector.feed(clean, canceller.last_levels)
        if cancel is not None:
            assert cancel == Cancel(BARGE_IN)
            fired.append(frame.timestamp + frame.duration)
            detector.reset()
    return fired, canceller, bytes(cleaned)


@pytest.mark.parametrize(("delay_ms", "gain_db", "seed"), [(30, -3, 1), (55, -6, 2), (80, -10, 3)])
def test_own_voice_never_barges_in(
    anya: tuple[bytes, int], delay_ms: float, gain_db: float, seed: int
) -> None:
    mic = room_mic(anya, delay_ms=delay_ms, gain_db=gain_db, seed=seed)
    detector = BargeInDetector()
    fired, _, _ = run_live(mic, anya, detector)
    assert fired == [], f"Аня interrupted herself at {fired}"
    assert detector.warmed_up  # the guard was really armed for most of the reply


@pytest.mark.parametrize("ser_db", [0.0, 6.0])
@pytest.mark.parametrize("delay_ms", [30, 80])
# Onsets after the detector's 2.5 s warm-up on Аня's voice (the first 2.5 s of a reply
# cannot be interrupted: the canceller is still converging).
@pytest.mark.parametrize("child_at", [4.0, 5.0, 6.0])
def test_child_over_the_echo_barges_in_within_200_ms(
    anya: tuple[bytes, int],
    child: bytes,
    child_at: float,
    delay_ms: float,
    ser_db: float,
    record_property: pytest.RecordProperty,
) -> None:
    mic = room_mic(anya, child, child_at=child_at, ser_db=ser_db, delay_ms=delay_ms)
    fired, _, _ = run_live(mic, anya, BargeInDetector())
    assert fired, "the child was not heard over Аня"
    assert fired[0] > child_at, "fired before the child spoke"
    latency_ms = (fired[0] - child_at) * 1000
    LATENCIES.append(latency_ms)
    record_property("barge_in_ms", round(latency_ms))
    print(f"barge-in {latency_ms:.0f} ms after onset (SER {ser_db:+.0f} dB, {delay_ms} ms room)")
    # Single cases land at 150-400 ms (3 of 5 frames of 30 ms, measured from the first
    # audible sample of the child), now and then later when the canceller leaks; the
    # median is checked below.
    assert latency_ms <= 700


def test_barge_in_latency_median_is_within_200_ms() -> None:
    if len(LATENCIES) < 6:
        pytest.skip("run with the latency cases above")
    ordered = sorted(LATENCIES)
    print("barge-in latencies (ms):", [round(x) for x in ordered])
    assert statistics.median(ordered) <= 200
    assert sum(x <= 200 for x in ordered) >= 0.5 * len(ordered)


def test_cleaned_mic_carries_the_childs_words_not_anyas(
    anya: tuple[bytes, int], child: bytes, whisper_base_dir: Path
) -> None:
    from kiosk.stt.whisper import WhisperTranscriber

    child_at = 4.0
    mic = room_mic(anya, child, child_at=child_at, ser_db=6.0, delay_ms=50)
    _, _, cleaned = run_live(mic, anya, BargeInDetector())
    start, end = (
        int((child_at - 0.2) * RATE) * 2,
        int((child_at + len(child) / 2 / RATE) * RATE) * 2,
    )
    transcriber = WhisperTranscriber(whisper_base_dir, cpu_threads=2)
    heard = transcriber.transcribe(cleaned[start:end], RATE).text.lower().replace("ё", "е")
    print("cleaned mic:", heard)
    # Alone, whisper-base hears "Мама, расскажи мне сказка про рыжего кота"; AEC3's
    # double-talk suppression mangles most words (runs differ: espeak's audio is not
    # bit-identical between calls), so one of the child's words must come through.
    child_words = ("мам", "мне", "расскаж", "сказк", "рыж", "кот")
    assert sum(word in heard for word in child_words) >= 1, heard
    assert not any(word.replace("ё", "е") in heard for word in ANYA_WORDS), heard


def test_without_a_reference_it_is_a_plain_vad(child: bytes) -> None:
    """Speaker silent: the near-end decision is webrtcvad + the energy floor, frame by frame."""
    import webrtcvad

    silence = bytes(RATE)  # 0.5 s
    mic = silence + child + silence
    detector = BargeInDetector(aggressiveness=2)
    canceller = EchoCanceller(RATE)
    vad = webrtcvad.Vad(2)
    decisions, expected = [], []
    for frame in frames_of(mic):
        clean = canceller.process(frame)
        decisions.append(detector.is_near_end(clean, canceller.last_levels))
        expected.append(frame_dbfs(clean.pcm) >= -45.0 and vad.is_speech(clean.pcm, RATE))
    assert decisions == expected
    assert sum(decisions) > 20 and not any(decisions[:10])
    fired, _, _ = run_live(mic, None, BargeInDetector())
    assert fired and 0.5 < fired[0] <= 0.5 + 0.2


def test_levels_are_optional() -> None:
    tone = (np.sin(np.arange(FRAME) * 2 * np.pi * 200 / RATE) * 6000).astype("<i2").tobytes()
    detector = BargeInDetector()
    results = [detector.feed(AudioFrame(tone, RATE, k * 0.03)) for k in range(3)]
    assert results[-1] == Cancel(BARGE_IN) and detector.fired
    assert detector.feed(AudioFrame(tone, RATE, 0.09)) is None  # once per reply
    detector.reset()
    assert not detector.fired


def test_nothing_counts_while_the_canceller_is_still_converging(
    anya: tuple[bytes, int], child: bytes
) -> None:
    """The first reply after start-up: the child at 1 s is not heard until AEC3 settles."""
    mic = room_mic(anya, child, child_at=1.0, ser_db=6.0)
    fired, _, _ = run_live(mic, anya, BargeInDetector(warmup_ms=2500))
    assert not fired or fired[0] >= 2.5


def test_wrong_frame_size_is_rejected() -> None:
    with pytest.raises(AudioFormatError):
        BargeInDetector().feed(AudioFrame(bytes(320), RATE, 0.0))


# --- the wake-word guard --------------------------------------------------------------


def test_echo_gate_knows_anyas_voice_from_the_childs(anya: tuple[bytes, int], child: bytes) -> None:
    gate = EchoGate()
    seconds = len(child) / 2 / RATE
    for delay_ms, gain_db in ((30, -3.0), (80, -10.0), (50, 6.0)):
        echo_only = room_mic(anya, delay_ms=delay_ms, gain_db=gain_db)
        _, canceller, _ = run_live(echo_only, anya, BargeInDetector())
        mic = canceller.mic_between(4.0, 4.0 + seconds)
        reference = canceller.reference_between(4.0, 4.0 + seconds)
        verdict = gate.judge(mic, reference)
        assert verdict.is_echo, verdict
        assert abs(verdict.delay_ms - delay_ms) <= 20
        for ser_db in (0.0, 6.0):
            both = room_mic(anya, child, child_at=4.0, ser_db=ser_db, delay_ms=delay_ms)
            _, canceller, _ = run_live(both, anya, BargeInDetector())
            mixed = canceller.mic_between(4.0, 4.0 + seconds)
            assert not gate.is_echo(mixed, canceller.reference_between(4.0, 4.0 + seconds))
    assert not gate.is_echo(child, bytes(len(child)))  # speaker silent: never echo


@pytest.mark.slow  # whisper on every utterance of three paths: ~40-75 s on 2 cores
def test_own_voice_saying_the_wake_word_does_not_wake(
    anya: tuple[bytes, int], whisper_base_dir: Path
) -> None:
    """Аня says "Аня ..." herself: through the room the raw path would wake; the guards stop it."""
    from kiosk.stt.whisper import WhisperTranscriber

    speech = make_synthesizer(VoiceSettings()).synthesize(
        "Знаешь, что я люблю? Аня любит рисовать котов. Аня, привет!"
    )
    warm_up = anya[0][: anya[1] * 2 * 3]  # 3 s of the earlier reply first: AEC3 has converged
    played = (warm_up + speech.pcm, speech.sample_rate)
    mic = room_mic(played, delay_ms=50, gain_db=-3.0)
    _, canceller, cleaned = run_live(mic, played, BargeInDetector())
    transcriber = WhisperTranscriber(whisper_base_dir, cpu_threads=2)
    wake = TranscriptWakeDetector()
    gate = EchoGate()

    def wakes(pcm: bytes, *, guarded: bool) -> list[str]:
        endpointer = WebRtcEndpointer(end_silence_ms=300)
        woke: list[str] = []
        events = [e for f in frames_of(pcm) for e in endpointer.feed(f)] + endpointer.flush()
        for utterance in (e for e in events if hasattr(e, "pcm")):
            text = transcriber.transcribe(utterance.pcm, RATE).text
            if wake.check(utterance, text) is None:
                continue
            end = utterance.start + len(utterance.pcm) / 2 / RATE
            if guarded and gate.is_echo(
                canceller.mic_between(utterance.start, end),
                canceller.reference_between(utterance.start, end),
            ):
                continue
            woke.append(text)
        return woke

    raw_wakes = wakes(mic, guarded=False)
    print("raw mic, no guard, woke on:", raw_wakes)
    assert wakes(mic, guarded=True) == []
    # After the canceller, whisper may still turn a residual into its own prompt ("Аня,
    # ты где?", seen once in CI): the live loop gates every utterance, the cleaned too.
    assert wakes(cleaned, guarded=True) == []


# --- a busy loop: capture runs ahead of processing when a reply starts ------------------

REPLIES = (
    ANYA_TEXT,
    "Больше всего я люблю рисовать котов. У них пушистые хвосты и смешные усы. "
    "А ещё я рисую деревья, облака и большое жёлтое солнце. А ты что любишь рисовать?",
    "Динозавры жили очень-очень давно, миллионы лет назад. Одни были огромные, как дом, "
    "а другие совсем маленькие, как курица. Самый известный из них тираннозавр.",
    "Давай поиграем в города! Я говорю: Москва. Тебе на букву а. Если не знаешь, "
    "можно спросить у мамы или посмотреть на карте. Я подожду, не торопись.",
    "Знаешь, почему небо голубое? Солнечный свет состоит из разных цветов, а воздух "
    "сильнее всего рассеивает синий. Поэтому днём небо голубое, а на закате красное.",
    "Сегодня хороший день, чтобы почитать сказку. Жила-была девочка, и был у неё "
    "волшебный карандаш. Всё, что она рисовала, оживало. Однажды она нарисовала дом.",
)
BACKLOGS = (0, 16, 5, 25, 0, 10)
"""Frames captured but not processed when each reply starts (30 ms each: 0-750 ms)."""
GAP_S = 2.5
"""Seconds between replies (the child's turn)."""


@pytest.fixture(scope="module")
def replies() -> list[bytes]:
    """Аня's replies as the kiosk says them (espeak-ng ru+f3), at 16 kHz: ~70 s in all."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng")
    synthesizer = make_synthesizer(VoiceSettings())
    out = []
    for text in REPLIES:
        synthesis = synthesizer.synthesize(text)
        out.append(resample(synthesis.pcm, synthesis.sample_rate, RATE))
    return out


def conversation(
    replies: list[bytes], *, delay_ms: float, gain_db: float, seed: int
) -> tuple[bytes, list[int]]:
    """The microphone through a session of replies in a room, and each reply's start frame."""
    starts, at = [], round(1.0 / 0.03)
    for pcm in replies:
        starts.append(at)
        at += round((len(pcm) / 2 / RATE + GAP_S) / 0.03)
    mic = np.zeros(at * FRAME)
    for start, pcm in zip(starts, replies, strict=True):
        echo = simulate_room(pcm, RATE, delay_ms=delay_ms, gain_db=gain_db, seed=seed + start)
        samples = np.frombuffer(echo, dtype="<i2")
        mic[start * FRAME : start * FRAME + len(samples)] += samples
    mic += np.random.default_rng(seed).standard_normal(len(mic)) * 30
    return np.clip(np.round(mic), -32768, 32767).astype("<i2").tobytes(), starts


def run_busy(
    mic: bytes,
    replies: list[bytes],
    starts: list[int],
    *,
    mic_clock: bool,
    backlogs: tuple[int, ...] = BACKLOGS,
) -> list[float]:
    """The daemon's path with a lagging loop: each reply is handed to the speaker (and
    the canceller) while ``backlogs[i]`` captured frames still wait to be processed.

    ``mic_clock``: the capture side reports what it captured (``note_captured``), as
    ``kiosk.daemon.frames`` does; False is the wiring before: the reference queued
    behind the processed frames.
    """
    canceller, detector = EchoCanceller(RATE), BargeInDetector()
    feeds = {
        start - backlog: (start, pcm)
        for start, pcm, backlog in zip(starts, replies, backlogs, strict=True)
    }
    fired: list[float] = []
    for k, frame in enumerate(frames_of(mic)):
        if k in feeds:
            start, pcm = feeds[k]
            if mic_clock:
                canceller.note_captured(start * FRAME / RATE)
            canceller.feed_reference(pcm, RATE)
            detector.reset()  # a new reply (``frames.answer``)
        if detector.feed(canceller.process(frame), canceller.last_levels) is not None:
            fired.append(round(frame.timestamp + frame.duration, 2))
            detector.reset()
    return fired


@pytest.mark.parametrize(("delay_ms", "gain_db", "seed"), [(30, -3, 1), (55, 0, 2), (80, -10, 3)])
def test_own_replies_never_barge_in_however_far_capture_runs_ahead(
    replies: list[bytes], delay_ms: float, gain_db: float, seed: int
) -> None:
    mic, starts = conversation(replies, delay_ms=delay_ms, gain_db=gain_db, seed=seed)
    fired = run_busy(mic, replies, starts, mic_clock=True)
    assert fired == [], f"Аня interrupted herself at {fired}"


def test_reference_queued_behind_processed_frames_lets_her_echo_barge_in(
    replies: list[bytes],
) -> None:
    """The cause: the reference placed by processing order is late by the backlog."""
    mic, starts = conversation(replies, delay_ms=55, gain_db=0, seed=2)
    fired = run_busy(mic, replies, starts, mic_clock=False)
    assert len(fired) >= 3, fired


@pytest.mark.parametrize("backlog", [0, 25])
def test_child_barges_in_over_a_reply_that_started_during_a_backlog(
    replies: list[bytes], child: bytes, backlog: int
) -> None:
    first, second = replies[0], replies[1]  # the canceller has converged on the first
    mic_pcm, starts = conversation([first, second], delay_ms=50, gain_db=-6, seed=4)
    child_at = starts[1] * 0.03 + 3.0
    mic = np.frombuffer(mic_pcm, dtype="<i2").astype(np.float64)
    voice = np.frombuffer(child, dtype="<i2").astype(np.float64)
    at = int(child_at * RATE)
    window = mic[at : at + len(voice)]
    voice *= rms(window) / rms(voice)  # as loud as Аня's echo (0 dB)
    mic[at : at + len(voice)] += voice
    pcm = np.clip(np.round(mic), -32768, 32767).astype("<i2").tobytes()
    fired = run_busy(pcm, [first, second], starts, mic_clock=True, backlogs=(0, backlog))
    assert fired and child_at < fired[0] <= child_at + 0.7, (child_at, fired)
