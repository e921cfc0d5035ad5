"""Installed models: one folder per model under ``models_dir`` with a ``kiosk-model.toml`` record.

Lookup (``find_model``, ``best_installed``), listing and sha256 verification live here;
copying models in is ``kiosk.modelstore.importer``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import tomlkit

from kiosk.errors import ModelMissing
from kiosk.modelstore.formats import detect_source
from kiosk.modelstore.manifest import ModelEntry, load_manifest
from kiosk.paths import Paths

__all__ = [
    "CHUNK",
    "RECORD_NAME",
    "STAGE_NAMES_RU",
    "InstalledModel",
    "Progress",
    "VerifyResult",
    "best_installed",
    "find_model",
    "installed_models",
    "read_record",
    "sha256_file",
    "verify_models",
    "write_record",
]

_LOGGER = logging.getLogger(__name__)

RECORD_NAME = "kiosk-model.toml"
CHUNK = 1 << 20
"""Bytes read per step when copying or hashing."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done_bytes, total_bytes)`` while copying or hashing."""

STAGE_NAMES_RU = {
    "stt": "распознавание речи",
    "llm": "языковая модель",
    "tts": "синтез речи",
    "vad": "детектор речи",
    "wake": "слово-активатор",
    "avatar": "аватар",
    "enhance": "улучшение лица",
    "speaker": "распознавание голоса",
}

_WEIGHT_SUFFIXES = (".gguf", ".onnx", ".pt", ".pth", ".bin", ".safetensors", ".ckpt")


@dataclass(frozen=True, slots=True)
class InstalledModel:
    """A model present on this machine (or a model path given directly)."""

    name: str
    """Folder name under ``models_dir`` (the manifest name when it is a known model)."""
    stage: str
    """Pipeline stage it serves."""
    format: str
    """On-disk format (gguf, ctranslate2, ...)."""
    path: Path
    """What the engine loads: the model file, or the folder for folder formats."""
    entry: ModelEntry | None
    """Its manifest entry; None for a model the manifest does not know."""
    installed_at: datetime | None
    """When it was imported; None for a path given directly."""
    sha256: dict[str, str] = field(default_factory=dict, hash=False)
    """Recorded digests by relative file path."""
    engine: str = ""
    """Engine that loads it."""
    russian_chat: bool = False
    """LLMs: marked able to hold a Russian conversation (manifest or ``--russian-chat``)."""
    source: str = ""
    """Where it was imported from."""
    size_bytes: int = 0
    """Total size of its files in bytes."""

    @property
    def folder(self) -> Path:
        """The model's folder."""
        return self.path if self.path.is_dir() else self.path.parent


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of re-hashing one installed model."""

    name: str
    """Model folder name."""
    status: Literal["ok", "corrupt", "missing"]
    """ok; corrupt (a file changed or is unknown); missing (a file is gone)."""
    problems: tuple[str, ...] = ()
    """One line per problem, in Russian."""
    files_checked: int = 0
    """Files whose sha256 was recomputed."""


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    """Hex sha256 of a file, read in chunks; ``progress(n)`` after each chunk."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def read_record(folder: Path) -> dict[str, object] | None:
    """The parsed ``kiosk-model.toml`` of a model folder, or None when absent or unreadable."""
    try:
        return tomllib.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        _LOGGER.warning("unreadable model record in %s: %s", folder, exc)
        return None


def write_record(folder: Path, record: Mapping[str, object]) -> None:
    """Write a record file durably (it is written into a temp folder before the rename)."""
    path = folder / RECORD_NAME
    with path.open("w", encoding="utf-8") as f:
        f.write(tomlkit.dumps(dict(record)))
        f.flush()
        os.fsync(f.fileno())


def _from_record(
    folder: Path, record: Mapping[str, object], manifest: Mapping[str, ModelEntry]
) -> InstalledModel:
    files = record.get("files", [])
    assert isinstance(files, list)
    main = str(record.get("main", ""))
    imported = record.get("imported_at")
    name = str(record.get("name", folder.name))
    return InstalledModel(
        name=name,
        stage=str(record["stage"]),
        format=str(record["format"]),
        path=folder / main if main else folder,
        entry=manifest.get(name),
        installed_at=datetime.fromisoformat(imported) if isinstance(imported, str) else None,
        sha256={str(f["path"]): str(f["sha256"]) for f in files},
        engine=str(record.get("engine", "")),
        russian_chat=bool(record.get("russian_chat", False)),
        source=str(record.get("source", "")),
        size_bytes=sum(int(f.get("size", 0)) for f in files),
    )


def _model_folders(models_dir: Path) -> list[Path]:
    if not models_dir.is_dir():
        return []
    return sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def installed_models(
    paths: Paths, *, manifest: Mapping[str, ModelEntry] | None = None
) -> list[InstalledModel]:
    """Every model with a valid record in ``paths.models_dir``, sorted by name."""
    manifest = load_manifest() if manifest is None else manifest
    models = []
    for folder in _model_folders(paths.models_dir):
        record = read_record(folder)
        if record is None:
            _LOGGER.warning("model folder without a record, ignored: %s", folder)
            continue
        try:
            models.append(_from_record(folder, record, manifest))
        except (KeyError, ValueError, TypeError, AssertionError) as exc:
            _LOGGER.warning("broken model record in %s: %s", folder, exc)
    return models


def _looks_like_path(text: str) -> bool:
    return "/" in text or text.startswith(("~", ".")) or text.lower().endswith(_WEIGHT_SUFFIXES)


def _missing_hint(
    name: str, stage: str, entry: ModelEntry | None, installed: Iterable[InstalledModel]
) -> str:
    same_stage = sorted(m.name for m in installed if m.stage == stage)
    have = (
        f"установлены для этапа «{STAGE_NAMES_RU.get(stage, stage)}»: {', '.join(same_stage)}"
        if same_stage
        else f"для этапа «{STAGE_NAMES_RU.get(stage, stage)}» не установлено ни одной модели"
    )
    if entry is not None and entry.embedded:
        return f"запустите ./install.sh (или kiosk models install-defaults); {have}"
    if entry is not None:
        filename = entry.files[0].path if len(entry.files) == 1 else entry.name
        return (
            f"импортируйте модель: kiosk models import /media/usb/{filename} "
            f"(где взять: {entry.source}); {have}"
        )
    return (
        f"импортируйте модель: kiosk models import /media/usb/<файл или папка> --name {name} "
        f"(список известных моделей: kiosk models list --all); {have}"
    )


def find_model(
    paths: Paths,
    name_or_path: str,
    stage: str,
    *,
    manifest: Mapping[str, ModelEntry] | None = None,
) -> InstalledModel:
    """The installed model called ``name_or_path`` for ``stage``, or the model at that path.

    Raises ``ModelMissing`` (with an ``kiosk models import`` hint and what is
    installed for the stage) or ``ModelCorrupt`` for a damaged file given by path.
    """
    manifest = load_manifest() if manifest is None else manifest
    installed = installed_models(paths, manifest=manifest)
    if _looks_like_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if not path.exists():
            raise ModelMissing(
                f"Файл модели не найден: {path}",
                _missing_hint(path.stem, stage, None, installed),
            )
        source = detect_source(path)
        target = source.base / source.main if source.main else source.base
        return InstalledModel(
            name=path.stem, stage=stage, format=source.format, path=target, entry=None,
            installed_at=None, size_bytes=source.total_bytes,
        )  # fmt: skip
    for model in installed:
        if model.name == name_or_path:
            if model.stage != stage:
                raise ModelMissing(
                    f"Модель {model.name} — для этапа «{STAGE_NAMES_RU.get(model.stage)}», "
                    f"а нужна модель для этапа «{STAGE_NAMES_RU.get(stage, stage)}»",
                    _missing_hint(name_or_path, stage, None, installed),
                )
            return model
    entry = manifest.get(name_or_path)
    raise ModelMissing(
        f"Модель {name_or_path} ({STAGE_NAMES_RU.get(stage, stage)}) не установлена",
        _missing_hint(name_or_path, stage, entry, installed),
    )


def _rank(model: InstalledModel) -> int:
    if model.entry is not None:
        return model.entry.quality
    return 50 if model.russian_chat else 0


def best_installed(
    paths: Paths,
    stage: str,
    *,
    russian_chat: bool | None = None,
    engine: str | None = None,
    max_vram_mb: int | None = None,
    manifest: Mapping[str, ModelEntry] | None = None,
) -> InstalledModel | None:
    """The highest-quality installed model for ``stage`` that passes the filters, or None.

    ``russian_chat`` keeps only models with that flag; ``engine`` only that engine;
    ``max_vram_mb`` drops manifest models known to need more GPU memory.
    """
    candidates = [
        m
        for m in installed_models(paths, manifest=manifest)
        if m.stage == stage
        and (russian_chat is None or m.russian_chat == russian_chat)
        and (engine is None or m.engine == engine)
        and (max_vram_mb is None or m.entry is None or m.entry.vram_mb <= max_vram_mb)
    ]
    if not candidates:
        return None
    return max(sorted(candidates, key=lambda m: m.name), key=_rank)


def _verify_one(
    folder: Path,
    manifest: Mapping[str, ModelEntry],
    advance: Callable[[int], None],
) -> VerifyResult:
    record = read_record(folder)
    if record is None:
        return VerifyResult(
            folder.name,
            "corrupt",
            (f"нет записи {RECORD_NAME}: папка скопирована вручную? импортируйте её заново",),
        )
    problems: list[str] = []
    status: Literal["ok", "corrupt", "missing"] = "ok"
    files = record.get("files", [])
    assert isinstance(files, list)
    entry = manifest.get(str(record.get("name", folder.name)))
    expected = {f.path: f.sha256 for f in entry.files} if entry else {}
    checked = 0
    for item in files:
        rel, recorded = str(item["path"]), str(item["sha256"])
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: файл пропал")
            status = "missing" if status == "ok" else status
            continue
        actual = sha256_file(path, advance)
        checked += 1
        if actual != recorded:
            problems.append(f"{rel}: sha256 изменился (файл повреждён)")
            status = "corrupt"
        elif expected.get(rel) and expected[rel] != actual:
            problems.append(f"{rel}: sha256 не совпадает со списком моделей")
            status = "corrupt"
    recorded_paths = {str(item["path"]) for item in files}
    for rel in expected.keys() - recorded_paths:
        problems.append(f"{rel}: нужного файла нет в записи модели")
        status = "missing" if status == "ok" else status
    return VerifyResult(folder.name, status, tuple(problems), checked)


def verify_models(
    paths: Paths,
    *,
    progress: Progress | None = None,
    manifest: Mapping[str, ModelEntry] | None = None,
) -> list[VerifyResult]:
    """Recompute the sha256 of every installed file against its record and the manifest."""
    manifest = load_manifest() if manifest is None else manifest
    folders = _model_folders(paths.models_dir)
    total = sum(p.stat().st_size for folder in folders for p in folder.rglob("*") if p.is_file())
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    results = []
    for folder in folders:
        try:
            results.append(_verify_one(folder, manifest, advance))
        except (KeyError, TypeError, AssertionError, OSError) as exc:
            results.append(VerifyResult(folder.name, "corrupt", (f"запись испорчена: {exc}",)))
    if progress:
        progress(total, total)
    return results
