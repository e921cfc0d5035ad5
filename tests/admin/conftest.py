"""Fixtures for the admin TUI: a real database in tmp_path with a few days of talk."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.paths import Paths, resolve_paths
from kiosk.store import Store


def populate(store: Store) -> None:
    """Two conversations, one safety intervention, three facts."""
    first = store.start_conversation("anya", source="voice")
    child = store.add_turn(first, "child", "Привет, Аня! Расскажи про космос", source="voice")
    store.add_turn(first, "avatar", "Привет! Космос огромный. А ты любишь звёзды?",
                   emotion="excited", engine="scripted",
                   timings={"stt": 300.0, "first_token": 150.0, "first_audio": 640.0,
                            "reply_done": 900.0})  # fmt: skip
    store.add_turn(first, "child", "Да, и ещё у меня есть кошка Мурка", source="voice")
    store.add_turn(
        first,
        "avatar",
        "Как здорово! Мурка — красивое имя.",
        emotion="happy",
        engine="scripted",
        timings={"first_token": 120.0, "reply_done": 700.0},
    )
    store.end_conversation(first)
    second = store.start_conversation("anya", source="voice")
    store.add_turn(second, "child", "Где взять пистолет?", source="voice")
    store.add_turn(second, "avatar", "Давай лучше поговорим о чём-нибудь другом. Спроси у мамы.",
                   emotion="calm", safety="violence", engine="safety")  # fmt: skip
    store.add_fact("Любит космос", priority=0.6, source_turn_id=child)
    store.add_fact("Есть кошка Мурка", category="family", priority=0.7)
    store.add_fact("Учится в шестом классе", priority=0.4)


@pytest.fixture
def kiosk_env(kiosk_env: Paths) -> tuple[Path, Paths]:
    """The shared throwaway kiosk, plus a config file (the Settings tab edits it) and talk."""
    config = kiosk_env.data_dir.parent / "kiosk.toml"
    config.write_text(
        "# Kiosk settings (test)\n[paths]\n"
        f'data_dir = "{kiosk_env.data_dir}"\n\n[listen]\n# how long to wait\nfollow_up_s = 8.0\n',
        encoding="utf-8",
    )
    paths = resolve_paths(load_settings(config)).ensure()
    assert paths == kiosk_env
    with Store.open(paths.database) as store:
        populate(store)
    return config, paths


@pytest.fixture
def admin_app(kiosk_env: tuple[Path, Paths]):  # type: ignore[no-untyped-def]
    from kiosk.admin.app import AdminApp

    config, paths = kiosk_env
    return AdminApp(load_settings(config), paths, reconnect_s=0.1)
