"""What every subcommand shares: settings and paths, loaded once and only when needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from kiosk.config import Settings, load_settings
from kiosk.paths import Paths, resolve_paths

__all__ = ["AppContext", "pass_app"]


@dataclass
class AppContext:
    """Lazily loaded settings and paths for one CLI invocation."""

    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _paths: Paths | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """Validated settings (raises ``ConfigError``)."""
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    @property
    def paths(self) -> Paths:
        """Resolved paths, with the writable folders created (raises ``DataDirError``)."""
        if self._paths is None:
            self._paths = resolve_paths(self.settings).ensure()
        return self._paths


pass_app = click.make_pass_decorator(AppContext)
