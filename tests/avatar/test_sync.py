"""A/V sync of an exported photo clip, measured on the decoded MP4: at most 40 ms."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mediapipe")
skdata = pytest.importorskip("skimage.data")

from PIL import Image  # noqa: E402

from kiosk.avatar.photo import prepare_avatar  # noqa: E402
from kiosk.avatar.photo.renderer import PhotoFace  # noqa: E402
from kiosk.avatar.sync import measure_av_offset, onsets  # noqa: E402
from kiosk.avatar.video import probe_video, render_speech_clip  # noqa: E402


def test_onsets_are_found_after_quiet_gaps_at_sub_sample_precision() -> None:
    import numpy as np

    signal = np.zeros(100)
    signal[20:40] = 1.0
    signal[41:50] = 1.0  # a one-sample dip is not a new onset
    signal[70:90] = 1.0
    assert onsets(signal, 10.0, share=0.5) == pytest.approx([1.95, 6.95])


def test_photo_clip_mouth_follows_the_sound_within_40_ms(
    tmp_path: Path, festival_wav: object
) -> None:
    photo = tmp_path / "astronaut.png"
    Image.fromarray(skdata.astronaut()).save(photo)
    done = prepare_avatar(photo, tmp_path / "avatars", "astro", consent="--yes", enhance=False)
    face = PhotoFace(done.folder, 512)
    wav = festival_wav("Привет! Я Аня. Давай поговорим о космосе?")  # type: ignore[operator]
    clip = render_speech_clip(face, wav, tmp_path / "clip.mp4", fps=25, emotion="happy")
    info = probe_video(clip)
    assert info["video"]["width"] == 512 and info["audio"] is not None
    offset = measure_av_offset(clip, face.mouth_region())
    assert len(offset.onset_ms) >= 2  # the phrases after the pauses
    assert abs(offset.xcorr_ms) <= 40
    assert offset.worst_onset_ms <= 40
