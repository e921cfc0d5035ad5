"""``brain.keep_personal_data`` decides what every turn the runner stores keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.brain import make_brain
from kiosk.config import Settings
from kiosk.daemon.pipeline import TurnRunner
from kiosk.events import UserText
from kiosk.paths import resolve_paths
from kiosk.store import Store

SAID = "Меня зовут Маша, мой телефон 8 916 123 45 67, живу на улице Ленина, дом 5"


@pytest.mark.parametrize("keep", [False, True])
async def test_stored_turns_follow_the_parent_choice(tmp_path: Path, keep: bool) -> None:
    settings = Settings(
        paths={"data_dir": tmp_path / "data"},  # type: ignore[arg-type]
        brain={"engine": "scripted", "keep_personal_data": keep},  # type: ignore[arg-type]
    )
    paths = resolve_paths(settings).ensure()
    with Store.open(paths.database) as store:
        runner = TurnRunner(make_brain(settings, paths), store, persona_id="anya")
        result = await runner.run(UserText(SAID))
        child = store.turns(runner.conversation_id)[0]
        found = store.search_turns("Ленина")
    assert result.user_text == SAID, "the brain answered the words as said"
    assert result.reply, "the child got an answer"
    assert [t.id for t in found] == ([child.id] if keep else [])
    if keep:
        assert child.text == SAID
    else:
        assert child.text == "Меня зовут Маша, мой телефон [телефон], живу на [адрес]"
