"""One turn through brain → sentences → TTS → speaker + avatar: streamed, stored, cancellable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kiosk.audio.wav import TimelineSpeaker
from kiosk.avatar.animator import Animator
from kiosk.brain import make_brain
from kiosk.config import Settings
from kiosk.daemon.pipeline import TurnRunner
from kiosk.demo import WallFollowingSpeaker
from kiosk.events import State, UserText
from kiosk.paths import resolve_paths
from kiosk.store import Store
from kiosk.voice import make_synthesizer


def _settings(tmp_path: Path, **brain: object) -> Settings:
    return Settings(paths={"data_dir": tmp_path / "data"}, brain=brain)  # type: ignore[arg-type]


def _runner(settings: Settings, store: Store, **kwargs: object) -> TurnRunner:
    paths = resolve_paths(settings).ensure()
    speaker = WallFollowingSpeaker(TimelineSpeaker(sample_rate=22050))
    speaker.resume_at(0.0)
    return TurnRunner(
        make_brain(settings, paths),
        store,
        persona_id="anya",
        synthesizer=make_synthesizer(settings.voice),
        speaker=speaker,
        animator=Animator(),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "kiosk.db") as db:
        yield db  # type: ignore[misc]


async def test_a_turn_is_spoken_animated_and_stored(tmp_path: Path, store: Store) -> None:
    runner = _runner(_settings(tmp_path, engine="scripted"), store)
    result = await runner.run(UserText("Привет! Как тебя зовут?"))
    assert "Аня" in result.reply
    assert result.speech, "every sentence is synthesised"
    starts = [start for start, _ in result.speech]
    assert starts == sorted(starts)
    for (s1, a1), (s2, _) in zip(result.speech, result.speech[1:], strict=False):
        assert s2 >= s1 + a1.duration - 1e-6  # back to back, never overlapping
    animator = runner._animator
    assert animator is not None
    middle = starts[0] + result.speech[0][1].duration / 2
    assert animator.pose_at(middle).state == State.SPEAKING
    assert animator.pose_at(result.speech_end + 0.5).state == State.LISTENING
    turns = store.turns(runner.conversation_id)
    assert [t.role for t in turns] == ["child", "avatar"]
    timings = turns[1].timings
    assert timings["first_sentence"] <= timings["first_audio_queued"] <= timings["done"]
    assert "tts_total" in timings


def test_history_reaches_the_brain(tmp_path: Path, store: Store) -> None:
    runner = _runner(_settings(tmp_path, engine="scripted"), store)
    asyncio.run(runner.run(UserText("Привет!")))
    history = runner._history()
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[0].content == "Привет!"


@pytest.mark.slow
async def test_first_sentence_plays_while_the_llm_still_writes(
    tmp_path: Path, store: Store, smollm2_gguf: Path
) -> None:
    """Real llama.cpp on the packaged GGUF: audio is queued before generation ends."""
    settings = _settings(
        tmp_path, engine="llm", llm_model=str(smollm2_gguf), max_tokens=120, temperature=0.0
    )
    runner = _runner(settings, store)
    result = await runner.run(
        UserText("Please tell me a long story about a cat, in five sentences.")
    )
    t = result.timings
    assert result.engine.startswith("llm:")
    assert len(result.sentences) >= 2
    assert t["first_audio_queued"] < t["reply_done"], t


async def test_barge_in_cancels_the_turn_and_closes_the_mouth(tmp_path: Path, store: Store) -> None:
    runner = _runner(_settings(tmp_path, engine="scripted"), store, wait_for_playback=True)
    task = asyncio.create_task(runner.run(UserText("Расскажи что-нибудь интересное")))
    speaker = runner._speaker
    assert speaker is not None
    for _ in range(200):  # until Аня is audibly speaking
        await asyncio.sleep(0.02)
        if runner._animator and runner._animator.speaking_at(speaker.position()):
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    now = speaker.position()
    assert speaker.pending() == pytest.approx(0.0, abs=0.05)
    assert runner._animator is not None
    assert runner._animator.pose_at(now + 0.3).mouth_open == pytest.approx(0.0, abs=0.01)
    turns = store.turns(runner.conversation_id)
    assert [t.role for t in turns] == ["child", "avatar"]
    assert "interrupted" in turns[1].safety
    assert "cancelled" in turns[1].timings


async def test_what_the_child_says_is_remembered_next_time(tmp_path: Path, store: Store) -> None:
    settings = _settings(tmp_path, engine="scripted")
    first = _runner(settings, store)
    await first.run(UserText("Привет! Меня зовут Маша"))
    await first.run(UserText("У меня есть кошка Мурка"))
    first.close()
    facts = [f.text for f in store.facts()]
    assert any("Маша" in f for f in facts)
    assert any("Мурка" in f for f in facts)
    later = _runner(settings, store)  # a new conversation, another day
    result = await later.run(UserText("Привет!"))
    assert "Маша" in result.reply


async def test_the_voice_tag_and_the_heard_reply_length_travel_with_the_turn(
    tmp_path: Path, store: Store
) -> None:
    runner = _runner(_settings(tmp_path, engine="scripted"), store, wait_for_playback=True)
    result = await runner.run(UserText("Привет!", source="voice"), speaker="parent")
    assert result.speaker == "parent"
    heard = sum(audio.duration for _, audio in result.speech) * 1000
    child, avatar = store.turns(runner.conversation_id)
    assert child.speaker == "parent"
    assert avatar.timings["reply_audio_ms"] == pytest.approx(heard, abs=1)
