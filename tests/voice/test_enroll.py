"""Enrollment on a folder of real (Festival) Russian recordings: mixed formats, noise, clipping."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.errors import AudioFormatError
from kiosk.paths import Paths
from kiosk.stt.whisper import WhisperTranscriber
from kiosk.voice.enroll import EnrollmentReport, enroll_folder, summary_ru

SENTENCES = {
    "kosmos": "Мама купила мне новую книгу про космос.",
    "park": "Вчера мы ходили в парк и кормили уток.",
    "koshki": "Я люблю рисовать кошек и собак.",
    "dacha": "Завтра будет солнечная погода, и мы поедем на дачу.",
    "futbol": "Мой брат играет в футбол каждую субботу.",
    "shkola": "В школе у нас новая учительница музыки.",
    "more": "Летом мы поедем к морю и будем купаться.",
    "pirog": "Бабушка испекла вкусный яблочный пирог.",
}


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


def _noisy(source: Path, target: Path, volume: float) -> None:
    noise = target.with_suffix(".noise.wav")
    _sox(str(source), str(noise), "synth", "whitenoise", "vol", str(volume))
    _sox("-m", str(source), str(noise), str(target))
    noise.unlink()


@pytest.fixture(scope="module")
def recordings(festival_wav, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A parent's folder: clean WAVs, mild and heavy noise, clipping, 44.1 kHz stereo, MP3."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    folder = tmp_path_factory.mktemp("recordings")
    wav = {key: festival_wav(text) for key, text in SENTENCES.items()}
    for key in ("kosmos", "park", "koshki"):
        shutil.copy(wav[key], folder / f"{key}.wav")
    _noisy(wav["dacha"], folder / "dacha_mild_noise.wav", 0.01)
    _noisy(wav["futbol"], folder / "futbol_loud_noise.wav", 0.1)
    _sox(str(wav["shkola"]), str(folder / "shkola_clipped.wav"), "gain", "30")
    _sox(str(wav["more"]), "-r", "44100", "-c", "2", str(folder / "more_44k_stereo.wav"))
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(wav["pirog"]), str(folder / "pirog.mp3")],
        check=True,
    )
    # One long take of three sentences with pauses: must be cut into utterances.
    _sox(str(wav["kosmos"]), str(wav["park"]), str(wav["koshki"]), str(folder / "long_take.wav"))
    (folder / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    (folder / "notes.txt").write_text("список фраз", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def enrolled(
    recordings: Path, whisper_base_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[EnrollmentReport, Path, dict[str, str]]:
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in recordings.iterdir()}
    transcriber = WhisperTranscriber(whisper_base_dir, device="cpu", hotwords=())
    voice_dir = tmp_path_factory.mktemp("voices") / "anya"
    report = enroll_folder(recordings, voice_dir, transcriber)
    return report, voice_dir, before


def _rejection(report: EnrollmentReport, source: str) -> str:
    return next(r.reason for r in report.rejected if r.source == source)


@pytest.mark.slow
def test_dataset_has_ljspeech_layout(enrolled) -> None:
    report, voice_dir, _ = enrolled
    dataset = voice_dir / "dataset"
    rows = (dataset / "metadata.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(report.clips) >= 7
    for row in rows:
        clip_id, text, normalized = row.split("|")
        assert soundfile.info(str(dataset / "wavs" / f"{clip_id}.wav")).samplerate == 22050
        info = soundfile.info(str(dataset / "wavs_16k" / f"{clip_id}.wav"))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert text and normalized
    assert json.loads((dataset / "report.json").read_text())["usable_minutes"] > 0
    assert not list(voice_dir.glob(".dataset*")), "staging folder left behind"


@pytest.mark.slow
def test_clipped_and_very_noisy_recordings_are_rejected_with_reasons(enrolled) -> None:
    report, _, _ = enrolled
    assert _rejection(report, "shkola_clipped.wav") == "clipped"
    assert _rejection(report, "futbol_loud_noise.wav") == "noisy"
    assert _rejection(report, "corrupt.wav") == "not_audio"
    assert _rejection(report, "notes.txt") == "skipped"
    text = summary_ru(report)
    assert "перегрузка" in text and "шумно" in text


@pytest.mark.slow
def test_mild_noise_resampled_and_mp3_recordings_are_kept(enrolled) -> None:
    report, _, _ = enrolled
    sources = {c.source for c in report.clips}
    assert {"dacha_mild_noise.wav", "more_44k_stereo.wav", "pirog.mp3"} <= sources
    mild = next(c for c in report.clips if c.source == "dacha_mild_noise.wav")
    assert 15 <= mild.snr_db < 40
    assert any("44100" in n and "моно" in n for n in report.notes)
    assert any("pirog.mp3" in n for n in report.notes)


@pytest.mark.slow
def test_transcripts_contain_the_spoken_words(enrolled) -> None:
    report, _, _ = enrolled
    by_source = {c.source: c.text.lower() for c in report.clips}
    assert "космос" in by_source["kosmos.wav"]
    assert "дачу" in by_source["dacha_mild_noise.wav"]
    assert "пирог" in by_source["pirog.mp3"]
    assert "моря" in by_source["more_44k_stereo.wav"] or "морю" in by_source["more_44k_stereo.wav"]


@pytest.mark.slow
def test_long_take_is_cut_at_pauses_and_durations_sum_to_minutes(enrolled) -> None:
    report, _, _ = enrolled
    pieces = [c for c in report.clips if c.source == "long_take.wav"]
    assert len(pieces) >= 2
    assert all(2.0 <= c.duration <= 12.0 for c in report.clips)
    assert report.usable_minutes == pytest.approx(sum(c.duration for c in report.clips) / 60)
    assert 0.3 < report.usable_minutes < report.input_minutes
    assert not report.enough and "Запишите ещё" in report.advice[0]
    # Festival's male voice sits around 100–160 Hz.
    low, median, high = report.pitch_hz()
    assert 90 < median < 200 and low < median < high


@pytest.mark.slow
def test_originals_are_never_modified(enrolled, recordings: Path) -> None:
    _, _, before = enrolled
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in recordings.iterdir()}
    assert after == before


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    with pytest.raises(AudioFormatError, match="нет записей"):
        enroll_folder(tmp_path / "in", tmp_path / "voice", None)


def test_folder_of_non_audio_files_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "notes.txt").write_text("x")
    with pytest.raises(AudioFormatError, match="2 файлов другого типа"):
        enroll_folder(folder, tmp_path / "voice", None)
    assert not (tmp_path / "voice" / "dataset").exists()


def test_only_bad_files_leave_the_previous_dataset_in_place(tmp_path: Path) -> None:
    folder, voice = tmp_path / "in", tmp_path / "voice"
    folder.mkdir()
    (voice / "dataset").mkdir(parents=True)
    (voice / "dataset" / "metadata.csv").write_text("old|x|x\n")
    (folder / "broken.wav").write_bytes(b"not audio at all")
    report = enroll_folder(folder, voice, None)
    assert not report.clips and report.rejected[0].reason == "not_audio"
    assert (voice / "dataset" / "metadata.csv").read_text() == "old|x|x\n"
    assert json.loads((voice / "report.json").read_text())["dataset_dir"] is None


@pytest.mark.slow
def test_cli_enroll_asks_consent_and_refuses_without_it(
    festival_wav, whisper_base_dir: Path, tmp_path: Path, kiosk_env: Paths
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(festival_wav(SENTENCES["kosmos"]), folder / "a.wav")
    env = {"KIOSK_STT__MODEL": str(whisper_base_dir)}
    runner = CliRunner()
    refused = runner.invoke(
        main, ["voice", "enroll", str(folder), "--name", "anya"], input="n\n", env=env
    )
    assert refused.exit_code == 1 and "согласия" in refused.output
    voice = kiosk_env.voices_dir / "anya"
    assert not (voice / "consent.json").exists()
    agreed = runner.invoke(
        main, ["voice", "enroll", str(folder), "--name", "anya"], input="y\n", env=env
    )
    assert agreed.exit_code == 0, agreed.output
    assert json.loads((voice / "consent.json").read_text())["method"] == "prompt"
    assert "годной речи" in agreed.output
    listed = runner.invoke(main, ["voice", "list", "--json"], env=env)
    assert json.loads(listed.output)[0]["consent"] is True
    train = runner.invoke(main, ["voice", "train", "--name", "anya", "--recipe", "xtts"], env=env)
    assert train.exit_code == 1
    assert "--voice-clone" in train.output or "kiosk models import" in train.output
    plan = json.loads((voice / "train-xtts" / "plan.json").read_text())
    assert plan["clips"] == 1 and plan["sample_rate"] == 22050
    if importlib.util.find_spec("torch") is not None:
        args = ["voice", "train", "--name", "anya", "--tiny", "--steps", "2", "--json"]
        tiny = runner.invoke(main, args, env=env)
        assert tiny.exit_code == 0, tiny.output
        assert json.loads(tiny.stdout)["clips"] == 1
        assert (voice / "train-tiny" / "last.pt").is_file()
        listed = runner.invoke(main, ["voice", "list", "--json"], env=env)
        assert json.loads(listed.output)[0]["checkpoints"] == ["train-tiny"]
