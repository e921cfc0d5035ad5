"""Speaker tagging: enrolled voices, held-out phrases, a stranger, and profiles on disk.

Voices are synthetic: the "parent" is Festival's Russian male voice at its
natural pitch; the "child" is espeak-ng's ``ru+f3`` at pitch 70, or the same
Festival voice pitched up 500 cents (a harder case: the same synthesiser);
the stranger is espeak-ng ``ru+m1`` or Festival pitched down 600 cents.
Enrolment uses three phrases, the checks six others with different texts.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk.audio.wav import read_wav, resample
from kiosk.errors import AudioFormatError
from kiosk.listen.enroll import SpeakerProfiles
from kiosk.listen.speaker import (
    SpeakerTag,
    SpeakerTagger,
    VoiceEncoder,
    _partial_slices,
    cosine,
    mel_spectrogram,
)

RATE = 16000
ENROL = [
    "Аня, привет! Как у тебя дела сегодня?",
    "Я хочу послушать интересную сказку.",
    "Давай поиграем в загадки про животных.",
]
HELD_OUT = [
    "Сколько будет семь умножить на восемь?",
    "Расскажи мне, почему небо голубое.",
    "Какая завтра будет погода на улице?",
    "Мне нравится рисовать котов и собак.",
    "Аня, пора спать, завтра рано вставать.",
    "Какую книгу ты посоветуешь почитать?",
]

Voice = Callable[[str], bytes]


@pytest.fixture(scope="module")
def encoder() -> VoiceEncoder:
    pytest.importorskip("torch", reason="needs torch (./install.sh --speaker)")
    try:
        return VoiceEncoder(device="cpu")
    except RuntimeError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def voices(festival_wav, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Voice]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng")
    folder = tmp_path_factory.mktemp("voices")

    def festival(cents: int) -> Voice:
        def make(text: str) -> bytes:
            src = festival_wav(text, before=0.2, after=0.3)
            if not cents:
                return read_wav(src)[0]
            out = folder / f"{src.stem}.{cents}.wav"
            if not out.exists():
                subprocess.run(
                    ["sox", "-D", str(src), str(out), "pitch", str(cents)],
                    check=True,
                    capture_output=True,
                )
            return read_wav(out)[0]

        return make

    def espeak(voice: str, *pitch: str) -> Voice:
        def make(text: str) -> bytes:
            key = hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:12]
            out = folder / f"{key}.wav"
            if not out.exists():
                subprocess.run(
                    ["espeak-ng", "-v", voice, *pitch, "-w", str(out), text],
                    check=True,
                    capture_output=True,
                )
            pcm, rate = read_wav(out)
            return resample(pcm, rate, RATE)

        return make

    return {
        "festival": festival(0),
        "festival+500": festival(500),
        "festival-600": festival(-600),
        "espeak-f3": espeak("ru+f3", "-p", "70"),
        "espeak-m1": espeak("ru+m1"),
    }


def enrolled(
    folder: Path, encoder: VoiceEncoder, voices: dict[str, Voice], child: str
) -> SpeakerProfiles:
    profiles = SpeakerProfiles(folder, encoder)
    profiles.enroll("parent", "папа", [voices["festival"](t) for t in ENROL])
    profiles.enroll("child", "Маша", [voices[child](t) for t in ENROL])
    return profiles


# --- without torch ------------------------------------------------------------------


def test_a_tone_lights_the_mel_band_of_its_pitch() -> None:
    t = np.arange(RATE) / RATE
    low = mel_spectrogram(np.sin(2 * np.pi * 300 * t).astype(np.float32))
    high = mel_spectrogram(np.sin(2 * np.pi * 3000 * t).astype(np.float32))
    assert low.shape == (1 + RATE // 160, 40)
    assert 0 < int(low[50].argmax()) < int(high[50].argmax()) < 39


@pytest.mark.parametrize("seconds", [0.5, 1.6, 3.0, 7.3])
def test_partial_windows_cover_the_utterance(seconds: float) -> None:
    n = int(seconds * RATE)
    windows = _partial_slices(n)
    assert windows[0].start == 0
    assert all(w.stop - w.start == 160 for w in windows)
    assert windows[-1].stop * 160 >= n * 0.75 or len(windows) == 1


def test_with_nobody_enrolled_every_speaker_is_unknown(tmp_path: Path) -> None:
    profiles = SpeakerProfiles(tmp_path / "none")
    tagger = SpeakerTagger(profiles)
    assert tagger.tag(bytes(RATE * 4), RATE) == SpeakerTag("unknown", "", 0.0)


def test_without_torch_the_error_names_the_install_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(RuntimeError, match="install.sh --speaker"):
        VoiceEncoder()


def test_without_resemblyzer_the_error_names_the_install_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("torch")
    monkeypatch.setattr("kiosk.listen.speaker._WEIGHTS_PACKAGE", "resemblyzer_not_here")
    with pytest.raises(RuntimeError, match="resemblyzer==0.1.4"):
        VoiceEncoder()


# --- with the encoder ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("child", ["espeak-f3", "festival+500"])
def test_held_out_phrases_are_tagged_child_or_parent(
    tmp_path: Path, encoder: VoiceEncoder, voices: dict[str, Voice], child: str
) -> None:
    tagger = SpeakerTagger(enrolled(tmp_path, encoder, voices, child), threshold=0.75)

    parent_tags = [tagger.tag(voices["festival"](t), RATE) for t in HELD_OUT]
    child_tags = [tagger.tag(voices[child](t), RATE) for t in HELD_OUT]

    assert [t.role for t in parent_tags] == ["parent"] * len(HELD_OUT)
    assert [t.role for t in child_tags] == ["child"] * len(HELD_OUT)
    assert {t.name for t in child_tags} == {"Маша"}
    assert min(t.similarity for t in parent_tags + child_tags) >= 0.8


@pytest.mark.slow
@pytest.mark.parametrize("stranger", ["espeak-m1", "festival-600"])
def test_a_voice_nobody_enrolled_is_unknown(
    tmp_path: Path, encoder: VoiceEncoder, voices: dict[str, Voice], stranger: str
) -> None:
    tagger = SpeakerTagger(enrolled(tmp_path, encoder, voices, "espeak-f3"), threshold=0.75)

    tags = [tagger.tag(voices[stranger](t), RATE) for t in HELD_OUT[:3]]

    assert [t.role for t in tags] == ["unknown"] * 3
    assert all(0.0 < t.similarity < 0.75 and t.name == "" for t in tags)


@pytest.mark.slow
def test_enrolled_voices_survive_a_reload_from_disk(
    tmp_path: Path, encoder: VoiceEncoder, voices: dict[str, Voice]
) -> None:
    before = enrolled(tmp_path, encoder, voices, "espeak-f3").load()

    reopened = SpeakerProfiles(tmp_path)  # a new process: nothing in memory
    after = reopened.load()

    assert [(p.role, p.name, p.utterances) for p in after] == [
        ("child", "Маша", 3),
        ("parent", "папа", 3),
    ]
    for old, new in zip(before, after, strict=True):
        assert np.array_equal(old.embedding, new.embedding)
        assert new.seconds > 3 and 0.5 < new.consistency <= 1.0
    tag = SpeakerTagger(reopened, encoder=encoder).tag(voices["espeak-f3"](HELD_OUT[0]), RATE)
    assert (tag.role, tag.name) == ("child", "Маша")


@pytest.mark.slow
def test_enrolling_again_replaces_the_voice_and_remove_forgets_it(
    tmp_path: Path, encoder: VoiceEncoder, voices: dict[str, Voice]
) -> None:
    profiles = enrolled(tmp_path, encoder, voices, "espeak-f3")
    profiles.enroll("child", "Маша", [voices["festival+500"](t) for t in ENROL[:2]])

    children = [p for p in profiles.load() if p.role == "child"]
    assert len(children) == 1 and children[0].utterances == 2

    assert profiles.remove("child", "Маша") is True
    assert profiles.remove("child", "Маша") is False
    assert [p.role for p in profiles.load()] == ["parent"]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["parent-папа.json", "parent-папа.npy"]


@pytest.mark.slow
def test_a_damaged_voice_file_is_skipped_not_fatal(
    tmp_path: Path, encoder: VoiceEncoder, voices: dict[str, Voice]
) -> None:
    enrolled(tmp_path, encoder, voices, "espeak-f3")
    npy = tmp_path / "child-маша.npy"
    npy.write_bytes(npy.read_bytes()[:100])

    assert [p.role for p in SpeakerProfiles(tmp_path).load()] == ["parent"]


@pytest.mark.slow
def test_audio_at_44k_gives_the_same_voice(encoder: VoiceEncoder, voices: dict[str, Voice]) -> None:
    pcm = voices["festival"](HELD_OUT[1])
    same = cosine(encoder.embed(pcm, RATE), encoder.embed(resample(pcm, RATE, 44100), 44100))
    assert same > 0.98


def test_too_short_audio_is_unknown_not_an_error(
    tmp_path: Path, encoder: VoiceEncoder, voices: dict[str, Voice]
) -> None:
    profiles = SpeakerProfiles(tmp_path, encoder)
    profiles.enroll("parent", "папа", [voices["festival"](ENROL[0])])
    assert SpeakerTagger(profiles).tag(bytes(RATE // 5 * 2), RATE).role == "unknown"
    with pytest.raises(AudioFormatError):
        encoder.embed(bytes(RATE // 5 * 2), RATE)


def test_enrolment_needs_a_role_a_name_and_audio(tmp_path: Path, encoder: VoiceEncoder) -> None:
    profiles = SpeakerProfiles(tmp_path, encoder)
    with pytest.raises(ValueError):
        profiles.enroll("teacher", "Ольга", [bytes(RATE * 4)])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        profiles.enroll("child", "  ", [bytes(RATE * 4)])
    with pytest.raises(AudioFormatError):
        profiles.enroll("child", "Маша", [])
    assert profiles.load() == []
