"""Import a model from a file or folder (a USB stick): identify it, check it, copy it in."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from kiosk.errors import ModelCorrupt, ModelMissing
from kiosk.modelstore.formats import detect_source, gguf_architecture
from kiosk.modelstore.manifest import ModelEntry, load_manifest
from kiosk.modelstore.store import InstalledModel, Progress
from kiosk.modelstore.writer import (
    Counter,
    Plan,
    already_installed,
    installed_by_name,
    write_model,
)
from kiosk.paths import Paths

__all__ = ["import_model"]

_LOGGER = logging.getLogger(__name__)

_FORMAT_STAGE = {
    "gguf": ("llm", "llama"),
    "ctranslate2": ("stt", "whisper"),
    "vosk": ("stt", "vosk"),
    "piper": ("tts", "piper"),
    "coqui": ("tts", "coqui"),
}
"""Stage and engine of a model the manifest does not know, by format."""


def _slug(text: str) -> str:
    base = text.lower()
    for suffix in (".gguf", ".onnx", ".pth", ".pt", ".safetensors"):
        base = base.removesuffix(suffix)
    slug = re.sub(r"[^a-z0-9._-]+", "-", base).strip("-._")[:64]
    return slug or "model"


def _identify(
    files: Sequence[str], sizes: Sequence[int], filename: str, fmt: str, is_file: bool,
    manifest: Mapping[str, ModelEntry],
) -> ModelEntry | None:  # fmt: skip
    def sizes_match(entry: ModelEntry) -> bool:
        dests = dict(zip(_dest_names(files, entry, is_file), sizes, strict=True))
        return all(f.size and dests.get(f.path) == f.size for f in entry.files)

    same_format = [e for e in manifest.values() if e.format == fmt]
    by_size = [e for e in same_format if sizes_match(e)]
    if len(by_size) == 1:
        return by_size[0]
    by_name = [e for e in manifest.values() if e.matches_filename(filename)]
    by_name = [e for e in by_name if e.format == fmt] or by_name
    return by_name[0] if len(by_name) == 1 else None


def _dest_names(files: Sequence[str], entry: ModelEntry | None, is_file: bool) -> list[str]:
    """Where each source file goes: a lone file takes the manifest's canonical name."""
    if entry is not None and is_file and len(entry.files) == len(files):
        canonical = sorted(f.path for f in entry.files)
        order = sorted(range(len(files)), key=lambda i: files[i])
        names = list(files)
        for slot, i in enumerate(order):
            names[i] = canonical[slot]
        return names
    return list(files)


def import_model(
    paths: Paths,
    source: Path,
    *,
    name: str | None = None,
    russian_chat: bool = False,
    progress: Progress | None = None,
    manifest: Mapping[str, ModelEntry] | None = None,
) -> InstalledModel:
    """Copy a model file or folder (e.g. from a USB stick) into ``models_dir/<name>/``.

    The model is identified by size/sha256/filename against the manifest, or by
    ``name``; an unknown GGUF becomes an LLM named after its file (``russian_chat``
    marks it able to speak Russian). Importing the same model again does nothing.
    Raises ``ModelCorrupt`` (damaged, truncated, wrong format, sha256 mismatch),
    ``ModelMissing`` (cannot tell what the model is for) or ``DataDirError`` (no space).
    """
    manifest = load_manifest() if manifest is None else manifest
    source = source.expanduser().resolve()
    src = detect_source(source)
    is_file = source.is_file()
    sizes = [(src.base / rel).stat().st_size for rel in src.files]
    if name is not None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name):
            raise ModelMissing(
                f"Недопустимое имя модели: {name!r}",
                "имя: строчные латинские буквы, цифры и - . _ (например qwen3-4b-ru)",
            )
        entry = manifest.get(name)
    else:
        entry = _identify(src.files, sizes, source.name, src.format, is_file, manifest)
    if entry is not None and entry.format != src.format:
        raise ModelCorrupt(
            f"{source.name} не похож на модель {entry.name}: формат {src.format}, "
            f"а нужен {entry.format}",
            f"проверьте файл; где взять правильный: {entry.source}",
        )
    if entry is not None and entry.architecture and src.format == "gguf":
        found = gguf_architecture(src.base / src.main)
        if found != entry.architecture:
            raise ModelCorrupt(
                f"{source.name} — не {entry.name}: в файле архитектура {found or 'не указана'}, "
                f"а у {entry.name} — {entry.architecture}",
                "это другая модель: импортируйте её под своим именем (--name my-model)",
            )
    if entry is None and src.format not in _FORMAT_STAGE:
        raise ModelMissing(
            f"Не знаю, для чего модель {source.name} (формат {src.format})",
            "укажите --name с именем из списка моделей (kiosk models list --all)",
        )
    stage, engine = (entry.stage, entry.engine) if entry else _FORMAT_STAGE[src.format]
    dests = _dest_names(src.files, entry, is_file)
    main = dests[src.files.index(src.main)] if src.main else ""
    if entry is not None and (absent := [f.path for f in entry.files if f.path not in dests]):
        raise ModelCorrupt(
            f"В {source.name} нет файлов модели {entry.name}: {', '.join(absent)}",
            f"импортируйте модель целиком; где взять: {entry.source}",
        )
    if entry is not None and russian_chat and not entry.russian_chat:
        _LOGGER.warning("%s: --russian-chat ignored, the manifest says it cannot", entry.name)
    plan = Plan(
        name=entry.name if entry else name or _slug(source.name),
        stage=stage,
        engine=engine,
        format=src.format,
        main=main,
        russian_chat=entry.russian_chat if entry else russian_chat and stage == "llm",
        source=str(source),
        files=tuple((d, (src.base / rel,)) for d, rel in zip(dests, src.files, strict=True)),
        entry=entry,
    )
    counter = Counter(progress, plan.total_bytes)
    if already_installed(paths, plan, rehash=True, counter=counter):
        _LOGGER.info("model %s is already installed, nothing to do", plan.name)
        return installed_by_name(paths, plan.name, manifest)
    counter = Counter(progress, plan.total_bytes)
    return write_model(paths, plan, counter, manifest, recheck=False)
