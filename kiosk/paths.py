"""Where things live: the system service's directories or a per-user development tree."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import Settings
from kiosk.errors import DataDirError

__all__ = [
    "CONTENT_DIR",
    "SYSTEM_DATA_DIR",
    "SYSTEM_SOCKET",
    "Paths",
    "atomic_write_bytes",
    "atomic_write_text",
    "resolve_paths",
]

SYSTEM_DATA_DIR = Path("/var/lib/kiosk")
SYSTEM_SOCKET = Path("/run/kiosk/kiosk.sock")
"""The service's control socket (RuntimeDirectory=kiosk in the unit)."""
CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
"""Bundled personas, dialogues, demo audio and word lists (shipped with the source tree)."""


@dataclass(frozen=True, slots=True)
class Paths:
    """Resolved locations of the kiosk's files."""

    data_dir: Path
    """Root of everything the kiosk writes."""
    models_dir: Path
    """Installed models, one folder per model."""
    content_dir: Path
    """Bundled read-only content."""
    socket_path: Path
    """Control socket of the daemon."""

    @property
    def database(self) -> Path:
        """The SQLite database file."""
        return self.data_dir / "kiosk.db"

    @property
    def personas_dir(self) -> Path:
        """Personas the parent created or edited (override bundled ones)."""
        return self.data_dir / "personas"

    @property
    def avatars_dir(self) -> Path:
        """Prepared avatar assets."""
        return self.data_dir / "avatars"

    @property
    def voices_dir(self) -> Path:
        """Enrolled and fine-tuned voices."""
        return self.data_dir / "voices"

    @property
    def speakers_dir(self) -> Path:
        """Enrolled speaker profiles (who is speaking: child or parent)."""
        return self.voices_dir / "speakers"

    @property
    def output_dir(self) -> Path:
        """Demo videos, bench reports and other files made for a person to look at."""
        return self.data_dir / "out"

    def ensure(self) -> Paths:
        """Create the writable directories; raise ``DataDirError`` when that is impossible."""
        for directory in (self.data_dir, self.models_dir, self.output_dir):
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataDirError(
                    f"Не удаётся создать папку {directory}: {exc.strerror}",
                    "укажите paths.data_dir в настройках (или KIOSK_PATHS__DATA_DIR) "
                    "— папку, куда можно писать, или исправьте права",
                ) from exc
            if not os.access(directory, os.W_OK | os.X_OK):
                raise DataDirError(
                    f"В папку данных {directory} нельзя писать этому пользователю",
                    "запустите от пользователя kiosk (sudo -u kiosk …), исправьте права "
                    "или укажите в paths.data_dir другую папку",
                )
        return self


def _default_data_dir() -> Path:
    if os.environ.get("KIOSK_SYSTEM") == "1" or (
        SYSTEM_DATA_DIR.is_dir() and os.access(SYSTEM_DATA_DIR, os.W_OK)
    ):
        return SYSTEM_DATA_DIR
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "kiosk"


def resolve_paths(settings: Settings) -> Paths:
    """Resolve the configured (or default) locations; creates nothing."""
    data_dir = (settings.paths.data_dir or _default_data_dir()).expanduser()
    models_dir = (settings.paths.models_dir or data_dir / "models").expanduser()
    default_socket = SYSTEM_SOCKET if data_dir == SYSTEM_DATA_DIR else data_dir / "kiosk.sock"
    socket_path = (settings.daemon.socket_path or default_socket).expanduser()
    return Paths(
        data_dir=data_dir,
        models_dir=models_dir,
        content_dir=CONTENT_DIR,
        socket_path=socket_path,
    )


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Text version of ``atomic_write_bytes`` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))
