"""The model manifest: every model the kiosk can use, read and validated from TOML."""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import kiosk
from kiosk.errors import ConfigError

__all__ = [
    "FORMATS",
    "STAGES",
    "Format",
    "ModelEntry",
    "ModelFile",
    "Stage",
    "default_manifest_path",
    "load_manifest",
]

Stage = Literal["stt", "llm", "tts", "vad", "wake", "avatar", "enhance", "speaker"]
Format = Literal[
    "ctranslate2", "gguf", "onnx", "ncnn", "piper", "coqui", "vosk", "torch", "safetensors"
]
STAGES: tuple[str, ...] = Stage.__args__  # type: ignore[attr-defined]
FORMATS: tuple[str, ...] = Format.__args__  # type: ignore[attr-defined]

_SLUG = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_SHA256 = r"^([0-9a-f]{64})?$"


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file a model needs, relative to the model's folder."""

    path: str
    """POSIX path inside the model folder (``model.bin``, ``am/final.mdl``)."""
    sha256: str
    """Lower-case hex digest; empty when not known in advance (recorded on import)."""
    size: int
    """Size in bytes; 0 when not known in advance."""
    parts: tuple[str, ...] = ()
    """Embedded models: ``module:relative/path`` pieces concatenated into this file."""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """A model the kiosk knows about, as described in ``models/manifest.toml``."""

    name: str
    """Slug used in the config and on the command line."""
    stage: str
    """Pipeline stage: one of ``STAGES``."""
    engine: str
    """Engine that loads it (whisper, llama, piper, ...)."""
    format: str
    """On-disk format: one of ``FORMATS``."""
    size_bytes: int
    """Total size on disk in bytes (approximate where hashes are unknown)."""
    vram_mb: int
    """Approximate GPU memory needed when loaded, in MiB (0: CPU only)."""
    quality: int
    """0..100, rough ranking within a stage for Russian use."""
    files: tuple[ModelFile, ...]
    """Files that must be present."""
    licence: str
    """Licence of the weights (and code where it matters)."""
    commercial_use: bool
    """False for research-only / non-commercial weights."""
    source: str
    """Where a person obtains it, in words."""
    embedded: bool
    """True when a pinned package ships the weights."""
    package: tuple[str, ...]
    """pip requirements (``name==version``) that ship it."""
    russian: bool
    """Usable in a Russian conversation."""
    russian_chat: bool
    """LLMs: can hold a Russian conversation."""
    patterns: tuple[str, ...]
    """Case-insensitive filename globs that identify it on a USB stick."""
    notes: str
    """Quality notes and caveats."""
    architecture: str = ""
    """GGUF only: expected ``general.architecture`` (``llama``, ``qwen3``); empty: any."""

    @property
    def verified(self) -> bool:
        """True when every file's sha256 is known in the manifest."""
        return all(f.sha256 for f in self.files)

    def matches_filename(self, filename: str) -> bool:
        """Whether ``filename`` (a file or folder name) identifies this model."""
        lowered = filename.lower()
        if lowered == self.name:
            return True
        if len(self.files) == 1 and lowered == PurePosixPath(self.files[0].path).name.lower():
            return True
        return any(fnmatch.fnmatch(lowered, p.lower()) for p in self.patterns)


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1)
    sha256: str = Field("", pattern=_SHA256)
    size: int = Field(0, ge=0)
    parts: tuple[str, ...] = ()

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        pure = PurePosixPath(value)
        if pure.is_absolute() or ".." in pure.parts or "\\" in value:
            raise ValueError("must be a relative POSIX path inside the model folder")
        return value

    @field_validator("parts")
    @classmethod
    def _module_paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for part in value:
            module, sep, rel = part.partition(":")
            if not sep or not module.isidentifier() or not rel:
                raise ValueError(f"part {part!r} must look like 'python_module:relative/path'")
        return value


class _EntrySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_SLUG)
    stage: Stage
    engine: str = Field(pattern=r"^[a-z0-9_-]+$")
    format: Format
    size_bytes: int = Field(ge=0)
    vram_mb: int = Field(ge=0)
    quality: int = Field(0, ge=0, le=100)
    files: tuple[_FileSpec, ...] = Field(min_length=1)
    licence: str = Field(min_length=2)
    commercial_use: bool
    source: str = Field(min_length=3)
    embedded: bool = False
    package: tuple[str, ...] = ()
    russian: bool
    russian_chat: bool = False
    patterns: tuple[str, ...] = ()
    notes: str = ""
    architecture: str = Field("", pattern=r"^[a-z0-9_.-]*$")

    @model_validator(mode="after")
    def _consistent(self) -> _EntrySpec:
        if self.embedded and not self.package:
            raise ValueError("embedded models must name the package that ships them")
        if any("==" not in p for p in self.package):
            raise ValueError("package entries must be pinned as 'name==version'")
        if self.russian_chat and (self.stage != "llm" or not self.russian):
            raise ValueError("russian_chat is only for Russian-capable LLMs")
        if self.architecture and self.format != "gguf":
            raise ValueError("architecture is only checked for GGUF models")
        if any(f.parts for f in self.files) and not self.embedded:
            raise ValueError("only embedded models can be assembled from package parts")
        paths = [f.path for f in self.files]
        if len(set(paths)) != len(paths):
            raise ValueError("file paths must be unique")
        return self


class _ManifestSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: tuple[_EntrySpec, ...] = Field(min_length=1)


def default_manifest_path() -> Path:
    """``models/manifest.toml`` of the source tree the package runs from."""
    return Path(kiosk.__file__).resolve().parent.parent / "models" / "manifest.toml"


def load_manifest(path: Path | None = None) -> dict[str, ModelEntry]:
    """Read and validate the manifest; raise ``ConfigError`` naming every broken field.

    Returns entries by name, in the file's order. Cached per file version.
    """
    path = (path or default_manifest_path()).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ConfigError(
            f"Не найден список моделей {path}: {exc.strerror}",
            "переустановите kiosk (файл models/manifest.toml входит в поставку)",
        ) from exc
    return dict(_load_cached(path, mtime))


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int) -> tuple[tuple[str, ModelEntry], ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(
            f"Список моделей {path} повреждён: {exc}",
            "исправьте синтаксис TOML в этом месте или восстановите файл из поставки",
        ) from exc
    try:
        spec = _ManifestSpec(**data)
    except ValidationError as exc:
        problems = "\n".join(f"  {_where(data, err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(
            f"Список моделей {path} содержит ошибки:\n{problems}",
            "исправьте эти поля (см. models/README.md)",
        ) from exc
    entries: dict[str, ModelEntry] = {}
    for item in spec.model:
        if item.name in entries:
            raise ConfigError(
                f"Список моделей {path}: имя {item.name!r} встречается дважды",
                "у каждой модели должно быть своё имя",
            )
        entries[item.name] = _to_entry(item)
    return tuple(entries.items())


def _where(data: dict[str, object], loc: tuple[int | str, ...]) -> str:
    """``model[whisper-base].files.0.sha256`` rather than ``model.0.files.0.sha256``."""
    models = data.get("model")
    if len(loc) >= 2 and loc[0] == "model" and isinstance(loc[1], int) and isinstance(models, list):
        item = models[loc[1]] if loc[1] < len(models) else {}
        name = item.get("name", f"#{loc[1] + 1}") if isinstance(item, dict) else f"#{loc[1] + 1}"
        return ".".join([f"model[{name}]", *(str(p) for p in loc[2:])])
    return ".".join(str(p) for p in loc) or "(top level)"


def _to_entry(spec: _EntrySpec) -> ModelEntry:
    return ModelEntry(
        name=spec.name,
        stage=spec.stage,
        engine=spec.engine,
        format=spec.format,
        size_bytes=spec.size_bytes,
        vram_mb=spec.vram_mb,
        quality=spec.quality,
        files=tuple(ModelFile(f.path, f.sha256, f.size, f.parts) for f in spec.files),
        licence=spec.licence,
        commercial_use=spec.commercial_use,
        source=spec.source,
        embedded=spec.embedded,
        package=spec.package,
        russian=spec.russian,
        russian_chat=spec.russian_chat,
        patterns=spec.patterns,
        notes=spec.notes,
        architecture=spec.architecture,
    )
