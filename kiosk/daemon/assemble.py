"""Build the stages from settings: the one place that knows which engine goes where."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.paths import Paths

if TYPE_CHECKING:
    from kiosk.brain.core import Brain
    from kiosk.brain.persona import Persona
    from kiosk.store import Store

__all__ = ["Core", "open_core"]

_LOGGER = logging.getLogger(__name__)


@dataclass
class Core:
    """What every front end (chat, demo, daemon) needs: store, persona and brain."""

    settings: Settings
    """The validated settings."""
    paths: Paths
    """Resolved, writable paths."""
    store: Store
    """The open database."""
    persona: Persona
    """The active persona."""
    brain: Brain
    """The brain with its engine and the scripted fallback."""
    brain_notice: str = ""
    """Why the LLM runs with fewer GPU layers than planned (or on the CPU); "" when fine."""

    def close(self) -> None:
        """Close the database."""
        self.store.close()


def open_core(settings: Settings, paths: Paths, *, free_vram_mb: float | None = None) -> Core:
    """Open the database, load the persona and build the brain (raises ``KioskError``).

    ``free_vram_mb`` (the daemon passes its NVML reading) lets an auto ``n_gpu_layers``
    be chosen within ``daemon.vram_budget_mb``, with a CPU fallback on out-of-memory.
    """
    from kiosk.brain.persona import load_persona
    from kiosk.daemon.gpu import load_brain
    from kiosk.store import Store

    store = Store.open(paths.database)
    try:
        persona = load_persona(settings.general.persona, paths)
        brain, notice = load_brain(settings, paths, free_vram_mb)
    except BaseException:
        store.close()
        raise
    return Core(
        settings=settings,
        paths=paths,
        store=store,
        persona=persona,
        brain=brain,
        brain_notice=notice,
    )
