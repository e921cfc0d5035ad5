"""WhisperTranscriber on the real whisper-base: demo questions, pitched and 44.1 kHz speech."""

from __future__ import annotations

import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from kiosk.audio.wav import read_wav
from kiosk.config import Settings, STTSettings
from kiosk.errors import ModelCorrupt, ModelMissing
from kiosk.listen.wake import TranscriptWakeDetector, normalize_words
from kiosk.paths import CONTENT_DIR, resolve_paths
from kiosk.stt import Transcriber, make_transcriber
from kiosk.stt.whisper import WhisperTranscriber, pick_compute_type

DEMO = CONTENT_DIR / "demo"
QUESTIONS = tomllib.loads((DEMO / "questions.toml").read_text(encoding="utf-8"))["question"]


def normalized(text: str) -> str:
    return " ".join(normalize_words(text))


@pytest.fixture(scope="module")
def whisper(whisper_base_dir: Path) -> WhisperTranscriber:
    transcriber = WhisperTranscriber(whisper_base_dir, cpu_threads=2)
    transcriber.warm_up()
    return transcriber


def sox(src: Path, dst: Path, *args: str) -> Path:
    if shutil.which("sox") is None:
        pytest.skip("needs sox")
    subprocess.run(["sox", "-D", str(src), str(dst), *args], check=True)
    return dst


def test_transcriber_implements_the_protocol(whisper: WhisperTranscriber) -> None:
    assert isinstance(whisper, Transcriber)
    assert whisper.name.startswith("whisper:") and whisper.device in ("cpu", "cuda")


def test_a_gpu_that_fails_falls_back_to_the_cpu(
    whisper_base_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("a working GPU is here: nothing fails")
    # Here CUDA really fails (no driver): the kiosk must still hear the child.
    transcriber = WhisperTranscriber(whisper_base_dir, device="cuda", cpu_threads=2)
    assert transcriber.device == "cpu" and transcriber.gpu_fallback
    assert transcriber.compute_type in ctranslate2.get_supported_compute_types("cpu")
    assert any("on the CPU" in r.getMessage() for r in caplog.records)
    question = QUESTIONS[0]
    pcm, rate = read_wav(DEMO / question["file"])
    heard = normalized(transcriber.transcribe(pcm, rate).text).split()
    assert all(k in heard for k in question["keywords"])


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["file"] for q in QUESTIONS])
def test_demo_question_is_read_back(whisper: WhisperTranscriber, question: dict) -> None:
    pcm, rate = read_wav(DEMO / question["file"])

    transcript = whisper.transcribe(pcm, rate)

    heard = normalized(transcript.text)
    words = heard.split()
    assert all(k in words for k in question["keywords"]), transcript.text
    assert fuzz.ratio(heard, normalized(question["text"])) >= 80, transcript.text
    assert transcript.language == "ru" and transcript.is_final
    assert transcript.audio_seconds == pytest.approx(len(pcm) / 2 / rate)
    assert 0.3 < transcript.confidence <= 1.0
    assert TranscriptWakeDetector().match(transcript.text) is not None


@pytest.mark.parametrize("name", ["01_privet.wav", "02_risovat.wav"])
def test_child_like_pitched_up_speech_still_carries_the_wake_word(
    whisper: WhisperTranscriber, tmp_path: Path, name: str
) -> None:
    pitched = sox(DEMO / name, tmp_path / "pitched.wav", "pitch", "400")

    transcript = whisper.transcribe(*read_wav(pitched))

    assert normalize_words(transcript.text)[0] == "аня", transcript.text


def test_44_1_khz_audio_is_resampled(whisper: WhisperTranscriber, tmp_path: Path) -> None:
    wav = sox(DEMO / "02_risovat.wav", tmp_path / "cd.wav", "rate", "44100")
    pcm, rate = read_wav(wav)
    assert rate == 44100

    transcript = whisper.transcribe(pcm, rate)

    assert "рисовать" in normalize_words(transcript.text), transcript.text
    assert transcript.audio_seconds == pytest.approx(len(pcm) / 2 / 44100)


@pytest.mark.parametrize("pcm", [b"", bytes(2), bytes(2 * 1500)], ids=["empty", "1", "1500"])
def test_audio_shorter_than_a_tenth_of_a_second_is_not_sent_to_the_model(
    whisper: WhisperTranscriber, pcm: bytes
) -> None:
    started = time.perf_counter()
    transcript = whisper.transcribe(pcm, 16000)
    assert transcript.text == "" and transcript.confidence == 0.0
    assert time.perf_counter() - started < 0.05


def test_compute_type_falls_back_to_one_the_cpu_supports() -> None:
    assert pick_compute_type("cpu", "auto") == "int8"
    assert pick_compute_type("cpu", "float16") in ("int8", "int8_float32", "float32")


def copy_model_except(source: Path, target: Path, missing: str = "") -> Path:
    target.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.json", "model.bin"):
        if name == missing:
            continue
        if name == "model.bin":
            (target / name).write_bytes(b"not a CTranslate2 model" * 1000)
        else:
            shutil.copy2(source / name, target / name)
    return target


def test_a_damaged_model_file_is_reported_as_corrupt(
    whisper_base_dir: Path, tmp_path: Path
) -> None:
    broken = copy_model_except(whisper_base_dir, tmp_path / "broken")
    with pytest.raises(ModelCorrupt) as info:
        WhisperTranscriber(broken)
    assert "kiosk models verify" in info.value.hint


@pytest.mark.parametrize("missing", ["model.bin", "config.json", "tokenizer.json"])
def test_a_model_folder_missing_a_file_is_reported_as_corrupt(
    whisper_base_dir: Path, tmp_path: Path, missing: str
) -> None:
    folder = copy_model_except(whisper_base_dir, tmp_path / "partial", missing)
    with pytest.raises(ModelCorrupt, match=missing):
        WhisperTranscriber(folder)


def test_an_absent_model_folder_is_reported_as_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as info:
        WhisperTranscriber(tmp_path / "nowhere")
    assert "install.sh" in info.value.hint


def test_factory_accepts_a_model_folder_path(whisper_base_dir: Path, tmp_path: Path) -> None:
    settings = Settings(stt=STTSettings(model=str(whisper_base_dir), cpu_threads=1))
    transcriber = make_transcriber(settings, resolve_paths(settings))
    assert transcriber.name == f"whisper:{whisper_base_dir.name}"


def test_factory_reports_an_uninstalled_model_name(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"paths": {"data_dir": tmp_path}, "stt": {"model": "whisper-nonexistent"}}
    )
    with pytest.raises(ModelMissing):
        make_transcriber(settings, resolve_paths(settings).ensure())
