"""Save 80x24 screenshots of every admin tab (and the dialogs) as docs/admin-*.svg and .png.

Run: ``python -m tests.admin.screenshots`` (a throwaway database, a test daemon peer
serving live status, and the real app). PNGs come from ``rsvg-convert`` when installed
(``apt install librsvg2-bin``).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

from kiosk.admin.app import TABS, AdminApp
from kiosk.admin.i18n import set_language
from kiosk.bench import store_report
from kiosk.config import load_settings
from kiosk.paths import resolve_paths
from kiosk.store import Store

from .conftest import populate
from .daemon_peer import DaemonPeer
from .test_dashboard import _bench_report

OUT = Path(__file__).resolve().parents[2] / "docs"


def preserve_spaces(svg: str) -> str:
    """Mark the SVG ``xml:space="preserve"`` so every renderer keeps Rich's padding.

    Rich draws each styled run as its own ``<text>`` at its cell's x, padded with
    U+00A0. Without the attribute librsvg applies the SVG 1.1 default (strip leading
    and trailing spaces) and counts U+00A0 as a space, so a run such as
    "   Персонаж:" loses its padding and lands against the previous word.
    """
    if 'xml:space="preserve"' in svg:
        return svg
    return svg.replace("<svg ", '<svg xml:space="preserve" ', 1)


def _save(app: AdminApp, name: str) -> None:
    svg = OUT / f"admin-{name}.svg"
    svg.write_text(preserve_spaces(app.export_screenshot()), encoding="utf-8")
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", str(svg), "-o", str(svg.with_suffix(".png"))], check=True)


async def _feed(peer: DaemonPeer) -> None:
    for stt, token, audio, done, fps in ((280, 380, 690, 1200, 28), (350, 450, 820, 1500, 30),
                                         (260, 300, 610, 990, 29)):  # fmt: skip
        timings = {"stt": stt, "first_token": token, "first_audio": audio, "reply_done": done}
        await peer.push("turn", {"timings_ms": timings})
        await peer.push("status", {**peer.status, "fps": fps})


async def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="kadm"))
    config = tmp / "kiosk.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{tmp / "d"}"\n\n[general]\nchild_name = "Маша"\n'
        'daily_limit_min = 60\nquiet_start = "21:30"\nquiet_end = "07:00"\n',
        encoding="utf-8",
    )
    settings = load_settings(config)
    paths = resolve_paths(settings).ensure()
    with Store.open(paths.database) as store:
        populate(store)
        store_report(store, _bench_report())
    peer = await DaemonPeer(paths.socket_path).start()
    app = AdminApp(settings, paths, reconnect_s=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        await _feed(peer)
        await pilot.pause(0.5)
        for i, (tab, _) in enumerate(TABS, start=1):
            await pilot.press(f"f{i}")
            await pilot.pause(0.5)
            if tab == "conversations":
                await pilot.press("down", "down")
                await pilot.pause(0.3)
            if tab == "settings":
                await pilot.press("tab", "tab", "tab", "tab", "tab", "tab", "tab", "tab")
                await pilot.pause(0.3)
            _save(app, f"{i}-{tab}")
        await pilot.press("f5", "ctrl+f")
        await pilot.pause(0.3)
        _save(app, "5-settings-photo")
        await pilot.press("escape")
        await peer.stop()
        await pilot.press("f1")
        await pilot.pause(0.5)
        _save(app, "1-dashboard-stale")
    set_language("en")
    peer = await DaemonPeer(paths.socket_path).start()
    app = AdminApp(load_settings(config), paths, reconnect_s=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        await _feed(peer)
        await pilot.pause(0.5)
        _save(app, "1-dashboard-en")
        await pilot.press("f5")
        await pilot.pause(0.3)
        _save(app, "5-settings-en")
    await peer.stop()
    print(f"saved to {OUT}/admin-*.svg")


if __name__ == "__main__":
    asyncio.run(main())
