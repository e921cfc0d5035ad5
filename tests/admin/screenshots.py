"""Save an 80x24 SVG screenshot of every admin tab into docs/screenshots/.

Run: ``python -m tests.admin.screenshots`` (a throwaway database, a test daemon peer
serving live status, and the real app). PNGs: ``rsvg-convert X.svg -o X.png``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from kiosk.admin.app import TABS, AdminApp
from kiosk.bench import store_report
from kiosk.config import load_settings
from kiosk.paths import resolve_paths
from kiosk.store import Store

from .conftest import populate
from .daemon_peer import DaemonPeer
from .test_dashboard import _bench_report

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="kadm"))
    config = tmp / "kiosk.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp / "d"}"\n', encoding="utf-8")
    settings = load_settings(config)
    paths = resolve_paths(settings).ensure()
    with Store.open(paths.database) as store:
        populate(store)
        store_report(store, _bench_report())
    peer = await DaemonPeer(paths.socket_path).start()
    app = AdminApp(settings, paths, reconnect_s=0.2)
    OUT.mkdir(parents=True, exist_ok=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        for stt, token, audio, done, fps in ((280, 380, 690, 1200, 28), (350, 450, 820, 1500, 30),
                                             (260, 300, 610, 990, 29)):  # fmt: skip
            timings = {"stt": stt, "first_token": token, "first_audio": audio, "reply_done": done}
            await peer.push("turn", {"timings_ms": timings})
            await peer.push("status", {**peer.status, "fps": fps})
        await pilot.pause(0.5)
        for i, (tab, _) in enumerate(TABS, start=1):
            await pilot.press(f"f{i}")
            await pilot.pause(0.5)
            if tab == "conversations":
                await pilot.press("down", "down")
                await pilot.pause(0.3)
            app.save_screenshot(f"{i}-{tab}.svg", path=str(OUT))
        await peer.stop()
        await pilot.press("f1")
        await pilot.pause(0.5)
        app.save_screenshot("1-dashboard-stale.svg", path=str(OUT))
    print(f"saved to {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
