"""Training the compact acoustic model for real on a tiny espeak-ng dataset (CPU, seconds)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("torch")

import torch  # noqa: E402

from kiosk.audio.wav import read_wav  # noqa: E402
from kiosk.errors import AudioFormatError, ModelCorrupt  # noqa: E402
from kiosk.voice.acoustic import SIZES  # noqa: E402
from kiosk.voice.trainer import (  # noqa: E402
    StepReport,
    TrainingInterrupted,
    TrainOptions,
    TrainResult,
    load_checkpoint,
    load_dataset,
    synthesize_with,
    train_voice,
)


@pytest.fixture(scope="module")
def dataset(tiny_dataset: Callable[[Path], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_dataset(tmp_path_factory.mktemp("voice") / "dataset")


def tiny(steps: int, **overrides: object) -> TrainOptions:
    options = {
        "steps": steps, "size": "tiny", "batch_size": 4, "learning_rate": 3e-3,
        "threads": 1, "similarity": False,
    }  # fmt: skip
    options.update(overrides)
    return TrainOptions(**options)  # type: ignore[arg-type]


def test_dataset_skips_unreadable_and_missing_clips_with_reasons(dataset: Path) -> None:
    clips, skipped = load_dataset(dataset, SIZES["tiny"])
    assert [c.clip_id for c in clips] == ["clip_0", "clip_1", "clip_2", "clip_3"]
    assert sorted(s.split(":")[0] for s in skipped) == ["absent", "broken"]
    assert "три кошки" in clips[3].text
    assert all(c.mel.shape[0] == 40 and c.mel.shape[1] > 2 * len(c.ids) for c in clips)


def test_missing_dataset_names_the_enroll_command(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError) as caught:
        train_voice(tmp_path / "nothing", tmp_path / "out", tiny(1))
    assert "kiosk voice enroll" in caught.value.hint


@pytest.fixture(scope="module")
def trained(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """20 real steps of the tiny model, checkpoints and samples every 10."""
    out = tmp_path_factory.mktemp("run")
    return train_voice(dataset, out, tiny(20, checkpoint_every=10, similarity=True))


def test_real_optimisation_steps_reduce_the_loss(trained: TrainResult) -> None:
    assert trained.step == 20 and trained.clips == 4 and len(trained.losses) == 20
    assert trained.parameters > 50_000
    first, last = trained.losses[0], sum(trained.losses[-5:]) / 5
    assert last < 0.5 * first, trained.losses
    assert [p.name for p in trained.eval_samples] == ["step-000010.wav", "step-000020.wav"]
    pcm, rate = read_wav(trained.eval_samples[-1])
    assert rate == 16000 and len(pcm) > 2 * 16000 * 0.3


def test_speaker_similarity_is_measured_against_the_recordings(trained: TrainResult) -> None:
    if importlib.util.find_spec("resemblyzer") is None:
        pytest.skip("needs the speaker extra (resemblyzer)")
    assert trained.similarity is not None and trained.similarity.references == 4
    assert -1.0 <= trained.similarity.synthetic <= 1.0
    assert trained.similarity.recordings is not None and trained.similarity.recordings > 0.5


def test_checkpoint_reloads_and_training_resumes_where_it_stopped(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    first = train_voice(dataset, out, tiny(6, eval_sample=False))
    model, state = load_checkpoint(first.checkpoint)
    assert state["step"] == 6 and state["losses"] == first.losses
    saved = torch.load(first.checkpoint, weights_only=True)["model"]
    assert all(torch.equal(v, saved[k]) for k, v in model.state_dict().items())
    assert not list(out.glob(".last.pt.*")), "no temporary file left behind"

    resumed = train_voice(dataset, out, tiny(10, eval_sample=False))
    assert resumed.start_step == 6 and resumed.step == 10
    assert resumed.losses[:6] == first.losses and len(resumed.losses) == 10
    restarted = train_voice(dataset, out, tiny(3, eval_sample=False, resume=False))
    assert restarted.start_step == 0 and len(restarted.losses) == 3


def test_init_from_fine_tunes_another_checkpoint_from_step_zero(
    dataset: Path, trained: TrainResult, tmp_path: Path
) -> None:
    tuned = train_voice(
        dataset, tmp_path / "tuned", tiny(2, eval_sample=False, init_from=trained.checkpoint)
    )
    assert tuned.start_step == 0 and tuned.step == 2
    assert tuned.losses[0] < trained.losses[0] * 0.5, "started from the trained weights"


def test_trained_model_speaks_audio_whose_length_follows_the_text(trained: TrainResult) -> None:
    model, _ = load_checkpoint(trained.checkpoint)
    short = synthesize_with(model, "привет")
    long = synthesize_with(model, "привет, меня зовут аня, сегодня хорошая погода")
    assert short.size > 0 and long.size > 2 * short.size
    assert synthesize_with(model, "!!!").size == 0


def test_corrupt_checkpoint_is_refused_with_a_restart_hint(tmp_path: Path) -> None:
    bad = tmp_path / "last.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelCorrupt) as caught:
        load_checkpoint(bad)
    assert "--restart" in caught.value.hint


def test_ctrl_c_keeps_every_finished_step_and_the_run_resumes(
    dataset: Path, tmp_path: Path
) -> None:
    def interrupt_at_3(report: StepReport) -> None:
        if report.step == 3:
            raise KeyboardInterrupt

    options = tiny(50, checkpoint_every=100, eval_sample=False)
    with pytest.raises(TrainingInterrupted) as caught:
        train_voice(dataset, tmp_path / "run", options, on_step=interrupt_at_3)
    assert caught.value.step == 3
    _, state = load_checkpoint(caught.value.checkpoint)
    assert state["step"] == 3 and len(state["losses"]) == 3
    resumed = train_voice(dataset, tmp_path / "run", tiny(5, eval_sample=False))
    assert resumed.start_step == 3 and resumed.step == 5
