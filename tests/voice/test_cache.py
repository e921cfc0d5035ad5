"""The speech cache around the real espeak-ng engine: repeats skip the engine, changes miss."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from kiosk.config import VoiceSettings
from kiosk.paths import Paths
from kiosk.voice import CachedSynthesizer, make_synthesizer, speak, uncached
from kiosk.voice.base import Synthesis
from kiosk.voice.cache import decode_synthesis, encode_synthesis, synthesis_bytes
from kiosk.voice.espeak import EspeakSynthesizer

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

GREETING = "Привет! Меня зовут Аня."
REDIRECT = "Давай лучше поговорим о чём-нибудь другом."


class CountingEspeak(EspeakSynthesizer):
    """The real espeak-ng engine, counting how often it is asked to speak."""

    def __init__(self, voice: str = "ru+f3") -> None:
        super().__init__(voice)
        self.calls = 0

    def synthesize(self, text: str, emotion: str = "neutral") -> Synthesis:
        self.calls += 1
        return super().synthesize(text, emotion)


def _paths(root: Path) -> Paths:
    return Paths(root, root / "models", root, root / "sock")


def _cached(max_bytes: int = 8 << 20) -> tuple[CachedSynthesizer, CountingEspeak]:
    engine = CountingEspeak()
    return CachedSynthesizer(engine, "espeak test", max_bytes=max_bytes), engine


def _same(a: Synthesis, b: Synthesis) -> bool:
    # espeak-ng varies slightly from call to call, so "same" means the very same audio.
    track_a, track_b = a.track, b.track
    return (a.pcm, a.sample_rate, track_a.rate, track_a.openness, track_a.visemes) == (
        b.pcm, b.sample_rate, track_b.rate, track_b.openness, track_b.visemes,
    )  # fmt: skip


def test_second_synthesis_of_a_phrase_skips_the_engine() -> None:
    cache, engine = _cached()
    first = cache.synthesize(GREETING)
    again = cache.synthesize("  Привет!   Меня зовут Аня.\n")  # spacing does not change audio
    assert engine.calls == 1
    assert _same(first, again) and first.duration > 1.0
    assert (cache.stats().hits, cache.stats().misses) == (1, 1)


@pytest.mark.parametrize("other", ["happy", "sad", "sleepy"])
def test_another_emotion_misses(other: str) -> None:
    cache, engine = _cached()
    neutral = cache.synthesize(GREETING)
    moved = cache.synthesize(GREETING, other)
    assert engine.calls == 2
    assert abs(moved.duration / neutral.duration - 1) > 0.03  # the engine really spoke it


def test_another_text_misses_and_case_counts() -> None:
    cache, engine = _cached()
    cache.synthesize(GREETING)
    cache.synthesize(REDIRECT)
    cache.synthesize("ПРИВЕТ! Меня зовут Аня.")
    assert engine.calls == 3


@pytest.mark.parametrize(
    "change",
    [{"voice": "ru+f4"}, {"rate_wpm": 190}, {"pitch": 40}, {"engine": "festival"}],
)
def test_anything_that_changes_the_audio_changes_the_key(change: dict[str, object]) -> None:
    base = make_synthesizer(VoiceSettings())
    other = make_synthesizer(VoiceSettings().model_copy(update=change))
    assert isinstance(base, CachedSynthesizer) and isinstance(other, CachedSynthesizer)
    assert base.key(GREETING) != other.key(GREETING)
    assert base.key(GREETING) == make_synthesizer(VoiceSettings()).key(GREETING)


def test_another_voice_misses_the_shared_disk_cache(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    f3 = make_synthesizer(VoiceSettings(voice="ru+f3"), paths)
    assert isinstance(f3, CachedSynthesizer)
    f3.preload([(GREETING, "neutral")])
    f4 = make_synthesizer(VoiceSettings(voice="ru+f4"), paths)
    assert isinstance(f4, CachedSynthesizer)
    f4.engine = engine = CountingEspeak("ru+f4")
    assert f4.synthesize(GREETING).duration > 1.0
    assert engine.calls == 1


def test_byte_bound_evicts_the_least_recently_used() -> None:
    sizes = [synthesis_bytes(EspeakSynthesizer().synthesize(t)) for t in (GREETING, REDIRECT)]
    cache, engine = _cached(max_bytes=sum(sizes) + 1000)  # room for two of the three
    cache.synthesize(GREETING)
    cache.synthesize(REDIRECT)
    cache.synthesize(GREETING)  # now the most recent
    cache.synthesize("Спокойной ночи!")  # pushes out the redirect
    assert engine.calls == 3
    assert cache.stats().bytes <= cache.max_bytes and cache.stats().entries == 2
    cache.synthesize(GREETING)
    assert engine.calls == 3
    cache.synthesize(REDIRECT)
    assert engine.calls == 4


def test_a_phrase_larger_than_the_bound_is_not_kept() -> None:
    cache, engine = _cached(max_bytes=10_000)
    cache.synthesize(REDIRECT)
    cache.synthesize(REDIRECT)
    assert engine.calls == 2 and cache.stats().entries == 0


def test_preloaded_line_survives_a_restart(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    before = make_synthesizer(VoiceSettings(), paths)
    assert isinstance(before, CachedSynthesizer)
    assert before.preload([(GREETING, "happy"), (REDIRECT, "calm")]) == 2
    assert len(list((tmp_path / "cache" / "voice").glob("*.syn"))) == 2
    after = make_synthesizer(VoiceSettings(), paths)  # a fresh daemon: empty memory
    assert isinstance(after, CachedSynthesizer)
    after.engine = engine = CountingEspeak()
    assert after.preload([(GREETING, "happy")]) == 0
    spoken = after.synthesize(REDIRECT, "calm")
    assert engine.calls == 0
    assert _same(spoken, before.synthesize(REDIRECT, "calm"))


def test_preload_normalises_like_speak(tmp_path: Path) -> None:
    synth = make_synthesizer(VoiceSettings(), _paths(tmp_path))
    assert isinstance(synth, CachedSynthesizer)
    synth.preload([("Мне 12 лет!", "happy"), ("😀", "happy")])
    synth.engine = engine = CountingEspeak()
    spoken = speak(synth, "Мне 12 лет!", "happy")
    assert engine.calls == 0 and spoken is not None and spoken.duration > 0.5
    assert len(list((tmp_path / "cache" / "voice").glob("*.syn"))) == 1


def test_ordinary_speech_is_not_written_to_disk(tmp_path: Path) -> None:
    synth = make_synthesizer(VoiceSettings(), _paths(tmp_path))
    speak(synth, "Мой секрет: я боюсь темноты.")
    speak(synth, "Мой секрет: я боюсь темноты.")
    assert not (tmp_path / "cache").exists()


def test_a_corrupt_cache_file_is_spoken_afresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = _paths(tmp_path)
    first = make_synthesizer(VoiceSettings(), paths)
    assert isinstance(first, CachedSynthesizer)
    first.preload([(GREETING, "neutral")])
    (file,) = (tmp_path / "cache" / "voice").glob("*.syn")
    file.write_bytes(file.read_bytes()[:40])
    again = make_synthesizer(VoiceSettings(), paths)
    assert isinstance(again, CachedSynthesizer)
    again.engine = engine = CountingEspeak()
    with caplog.at_level(logging.WARNING):
        spoken = again.synthesize(GREETING)
    assert engine.calls == 1 and spoken.duration > 1.0
    assert "unreadable" in caplog.text


def test_disk_format_round_trips_audio_track_and_visemes() -> None:
    spoken = EspeakSynthesizer().synthesize(GREETING, "excited")
    back = decode_synthesis(encode_synthesis(spoken))
    assert _same(back, spoken)
    with pytest.raises(ValueError):
        decode_synthesis(b"RIFF" + bytes(40))


def test_cache_false_gives_the_bare_engine() -> None:
    bare = make_synthesizer(VoiceSettings(), cache=False)
    assert isinstance(bare, EspeakSynthesizer)
    assert uncached(make_synthesizer(VoiceSettings())).name == bare.name
