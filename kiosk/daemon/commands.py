"""The control socket's commands: status, say_as_child, speak, talk, persona, reload, pause/sleep.

Every command runs on the conversation loop. Anything that changes the pipeline first builds
all its new parts, then swaps them in while holding the turn lock, so a failed reload or
switch leaves the old state whole and no turn sees half of a change.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.daemon.control import ControlCommandFailed, Handler, require_text

if TYPE_CHECKING:
    from kiosk.brain import Brain, Persona
    from kiosk.config import Settings
    from kiosk.daemon.assemble import Core
    from kiosk.daemon.loop import LiveLoop

__all__ = ["LIVE_SECTIONS", "DaemonCommands", "brain_for_persona"]

_LOGGER = logging.getLogger(__name__)

LIVE_SECTIONS = ("general", "listen", "brain", "voice")
"""Settings sections a reload applies without a restart (but see ``_BRAIN_RESTART_KEYS``)."""

_BRAIN_RESTART_KEYS = ("engine", "llm_model", "n_ctx", "n_gpu_layers", "threads")
"""Brain settings that shape the loaded model: they need a restart."""

_RESOURCE_CACHE_S = 0.5


def brain_for_persona(core: Core, settings: Settings, persona: Persona) -> Brain:
    """A brain for ``persona`` that keeps the loaded model (only the dialogues are rebuilt)."""
    from kiosk.brain import Brain, ScriptedEngine, dialogues_dir

    engine = core.brain.engine
    scripted = ScriptedEngine(dialogues_dir(core.paths), persona)
    if isinstance(engine, ScriptedEngine):
        return Brain(scripted, persona, settings.brain)
    return Brain(engine, persona, settings.brain, fallback=scripted)


class DaemonCommands:
    """The handlers and the ``status`` builder for one ``LiveLoop``."""

    def __init__(self, live: LiveLoop) -> None:
        """Serve ``live``."""
        self.live = live
        self._resources: dict[str, Any] | None = None
        self._resources_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    def handlers(self) -> dict[str, Handler]:
        """Command name → handler, for ``ControlServer``."""
        return {
            "say_as_child": self.say_as_child,
            "speak": self.speak,
            "persona": self.persona,
            "reload": self.reload,
            "pause": self.pause,
            "resume": self.resume,
            "sleep": self.sleep,
            "wake": self.wake,
            "talk": self.talk,
        }

    # --- status ------------------------------------------------------------------

    def _resource_sample(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._resources is None or now - self._resources_at > _RESOURCE_CACHE_S:
            self._resources = self.live.monitor.sample().as_dict()
            self._resources_at = now
        return self._resources

    def status(self) -> dict[str, Any]:
        """The ``status`` result (also streamed to subscribers every second)."""
        live = self.live
        return {
            "state": live.state.value,
            "persona": live.core.persona.id,
            "engines": {
                "stt": getattr(live.transcriber, "name", type(live.transcriber).__name__),
                "brain": live.core.brain.engine_name,
                "voice": getattr(live.synthesizer, "name", type(live.synthesizer).__name__),
                "avatar": live.avatar_name,
            },
            **live.stats.snapshot(),
            "listening_paused": live.paused,
            "notices": list(live.notices.values()),
            "talk_minutes_left": live.policy.minutes_left(),
            "resources": self._resource_sample(),
            "fps": live.fps.fps(),
            "version": __version__,
        }

    # --- conversation --------------------------------------------------------------

    async def say_as_child(self, args: dict[str, Any]) -> dict[str, Any]:
        """Run a turn as if the child said ``text`` (waits behind a running turn)."""
        result = await self.live.run_text(require_text(args))
        return {
            "reply": result.reply,
            "emotion": result.emotion,
            "engine": result.engine,
            "timings_ms": dict(result.timings),
        }

    async def speak(self, args: dict[str, Any]) -> dict[str, Any]:
        """Аня says ``text``; answers once it is queued, with its length in seconds."""
        text = require_text(args)
        duration, finished = await self.live.speak_phrase(text)
        task = asyncio.create_task(finished)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return {"duration_s": round(duration, 2)}

    # --- persona and config --------------------------------------------------------

    async def persona(self, args: dict[str, Any]) -> dict[str, Any]:
        """Switch the active persona (until restart; the config file is not changed)."""
        from kiosk.brain import load_persona

        name = require_text(args, "name", max_chars=64)
        live = self.live
        persona = await asyncio.to_thread(load_persona, name, live.core.paths)
        settings = live.core.settings
        settings = settings.model_copy(
            update={"general": settings.general.model_copy(update={"persona": name})}
        )
        brain = await asyncio.to_thread(brain_for_persona, live.core, settings, persona)
        async with live.turn_lock:
            live.swap(settings=settings, persona=persona, brain=brain)
        _LOGGER.info("persona switched to %s", persona.id)
        return {"persona": persona.id}

    async def reload(self, args: dict[str, Any]) -> dict[str, Any]:
        """Re-read the config file and the active persona; invalid: error, the old ones stay."""
        from kiosk.brain import load_persona
        from kiosk.config import load_settings

        live = self.live
        old = live.core.settings
        new = await asyncio.to_thread(load_settings, old.source)
        changed = [
            name for name in type(old).model_fields if getattr(old, name) != getattr(new, name)
        ]
        restart = [name for name in changed if name not in LIVE_SECTIONS]
        restart += [
            f"brain.{key}"
            for key in _BRAIN_RESTART_KEYS
            if getattr(old.brain, key) != getattr(new.brain, key)
        ]
        applied = [name for name in changed if name in LIVE_SECTIONS]
        # The active persona's file may have changed without the config (the TUI's editor).
        persona = await asyncio.to_thread(load_persona, new.general.persona, live.core.paths)
        if persona != live.core.persona and "general" not in applied:
            applied.append("persona")
        if applied:
            # Build every new part first: a failure here leaves the daemon as it was.
            brain = await asyncio.to_thread(brain_for_persona, live.core, new, persona)
            parts = await asyncio.to_thread(live.build_parts, new, "voice" in applied)
            async with live.turn_lock:
                live.swap(settings=new, persona=persona, brain=brain, **parts)
        if restart:
            _LOGGER.warning("reload: %s change only after a restart", ", ".join(restart))
        return {"applied": applied, "restart_needed": restart}

    # --- listening -----------------------------------------------------------------

    async def pause(self, args: dict[str, Any]) -> dict[str, Any]:
        """Stop listening (the microphone is ignored) until ``resume``."""
        self.live.set_paused(True)
        return self._listening()

    async def resume(self, args: dict[str, Any]) -> dict[str, Any]:
        """Listen again (for the wake word)."""
        self.live.set_paused(False)
        return self._listening()

    async def sleep(self, args: dict[str, Any]) -> dict[str, Any]:
        """Close the follow-up window: Аня sleeps until she hears «Аня»."""
        self.live.go_to_sleep("admin")
        return self._listening()

    async def wake(self, args: dict[str, Any]) -> dict[str, Any]:
        """Open the follow-up window, as if the child had said «Аня»."""
        if self.live.paused:
            raise ControlCommandFailed(
                "прослушивание на паузе", "сначала снимите паузу (команда resume)"
            )
        self.live.wake_up("admin")
        return self._listening()

    async def talk(self, args: dict[str, Any]) -> dict[str, Any]:
        """Listen now without the wake word, as the push-to-talk key does.

        The parent asks, so quiet hours and the daily limit do not apply to this window.
        """
        if self.live.paused:
            raise ControlCommandFailed(
                "прослушивание на паузе", "сначала снимите паузу (команда resume)"
            )
        self.live.request_talk("talk from the parent", by_parent=True)
        return self._listening()

    def _listening(self) -> dict[str, Any]:
        return {"state": self.live.state.value, "listening_paused": self.live.paused}
