"""``kiosk doctor``: what works, what is missing, and what to do about it."""

from __future__ import annotations

import grp
import logging
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.paths import Paths

__all__ = ["Check", "run_checks"]

_LOGGER = logging.getLogger(__name__)

Level = Literal["ok", "info", "warn", "error"]


@dataclass(frozen=True, slots=True)
class Check:
    """One finding."""

    area: str
    """What was checked (config, models, gpu, audio, ...)."""
    level: Level
    """ok, info (fine, worth knowing), warn (works, degraded) or error (broken)."""
    message: str
    """What was found, in Russian."""
    fix: str = ""
    """What to do about it, when something is wrong."""

    def as_dict(self) -> dict[str, str]:
        """JSON-friendly form."""
        return asdict(self)


def run_checks(config_path: Path | None = None) -> list[Check]:
    """Run every check; never raises for a problem it can describe."""
    from kiosk.config import load_settings
    from kiosk.paths import resolve_paths

    checks: list[Check] = []
    try:
        settings = load_settings(config_path)
    except KioskError as exc:
        checks.append(Check("config", "error", exc.message, exc.hint))
        return checks
    where = str(settings.source) if settings.source else "встроенные значения (файла нет)"
    checks.append(Check("config", "ok", f"настройки: {where}"))
    try:
        paths = resolve_paths(settings).ensure()
    except KioskError as exc:
        checks.append(Check("data", "error", exc.message, exc.hint))
        return checks
    checks.append(Check("data", "ok", f"данные: {paths.data_dir}"))
    for probe in (_store, _persona, _stt_model, _brain, _tools, _gpu, _audio, _display, _groups):
        try:
            checks.extend(probe(settings, paths))
        except Exception as exc:  # a broken probe must not hide the others
            _LOGGER.exception("doctor probe %s failed", probe.__name__)
            checks.append(Check(probe.__name__.strip("_"), "error", f"проверка упала: {exc}"))
    return checks


def _store(settings: Settings, paths: Paths) -> list[Check]:
    from kiosk.store import Store

    try:
        store = Store.open(paths.database)
    except KioskError as exc:
        return [Check("database", "error", exc.message, exc.hint)]
    try:
        return [Check("database", "ok", f"база {paths.database} (схема v{store.schema_version})")]
    finally:
        store.close()


def _persona(settings: Settings, paths: Paths) -> list[Check]:
    from kiosk.brain.persona import load_persona

    try:
        persona = load_persona(settings.general.persona, paths)
    except KioskError as exc:
        return [Check("persona", "error", exc.message, exc.hint)]
    return [Check("persona", "ok", f"персонаж: {persona.name} ({persona.id})")]


def _stt_model(settings: Settings, paths: Paths) -> list[Check]:
    from kiosk.models import find_model

    try:
        model = find_model(paths, settings.stt.model, "stt")
    except KioskError as exc:
        return [Check("stt", "error", exc.message, exc.hint)]
    return [Check("stt", "ok", f"распознавание речи: {model.name} ({model.path})")]


def _brain(settings: Settings, paths: Paths) -> list[Check]:
    from kiosk.models import best_installed, find_model

    checks: list[Check] = []
    try:
        import llama_cpp

        gpu = bool(llama_cpp.llama_supports_gpu_offload())
        checks.append(
            Check(
                "llm", "ok", f"llama.cpp {llama_cpp.__version__} ({'GPU' if gpu else 'только CPU'})"
            )
        )
    except ImportError:
        checks.append(Check("llm", "warn", "llama-cpp-python не установлен", "./install.sh"))
    if settings.brain.engine == "scripted":
        checks.append(Check("brain", "info", "мозг: сценарные диалоги (так задано в настройках)"))
        return checks
    if settings.brain.llm_model:
        try:
            model = find_model(paths, settings.brain.llm_model, "llm")
            checks.append(Check("brain", "ok", f"мозг: LLM {model.name}"))
        except KioskError as exc:
            checks.append(Check("brain", "error", exc.message, exc.hint))
        return checks
    best = best_installed(paths, "llm", russian_chat=True)
    if best is None:
        checks.append(
            Check(
                "brain",
                "warn",
                "мозг: сценарные диалоги — русская LLM не установлена, Аня отвечает из "
                "готового набора фраз",
                "импортируйте GGUF (например Qwen3-4B-Instruct Q4_K_M): "
                "kiosk models import /media/usb/model.gguf",
            )
        )
    else:
        checks.append(Check("brain", "ok", f"мозг: LLM {best.name}"))
    return checks


def _tools(settings: Settings, paths: Paths) -> list[Check]:
    checks: list[Check] = []
    needed = {
        "espeak-ng": ("error", "голос по умолчанию", "sudo apt install espeak-ng"),
        "ffmpeg": ("error", "видео демо", "sudo apt install ffmpeg"),
        "text2wave": ("info", "голос Festival (мужской)", "sudo apt install festival festvox-ru"),
        "sox": ("info", "обработка звука", "sudo apt install sox"),
    }
    for tool, (level, purpose, fix) in needed.items():
        if shutil.which(tool):
            checks.append(Check("tools", "ok", f"{tool}: есть ({purpose})"))
        else:
            checks.append(Check("tools", level, f"{tool} не найден ({purpose})", fix))  # type: ignore[arg-type]
    if shutil.which("espeak-ng"):
        out = subprocess.run(
            ["espeak-ng", "--voices=ru"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        if " ru " not in out and "ru\n" not in out and "russian" not in out.lower():
            checks.append(
                Check(
                    "tools",
                    "error",
                    "у espeak-ng нет русского голоса",
                    "sudo apt install espeak-ng-data",
                )
            )
    return checks


def _gpu(settings: Settings, paths: Paths) -> list[Check]:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return [
            Check(
                "gpu",
                "info",
                "GPU не найден: всё работает на CPU, медленнее",
                "для скорости нужен NVIDIA GPU с драйвером и ./install.sh --gpu",
            )
        ]
    try:
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        name = pynvml.nvmlDeviceGetName(handle)
        mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
        gib = 1024**3
        checks = [
            Check(
                "gpu",
                "ok",
                f"GPU: {name}, свободно {mem.free / gib:.1f} из {mem.total / gib:.1f} ГиБ",
            )
        ]
    finally:
        pynvml.nvmlShutdown()
    try:
        import ctranslate2

        if ctranslate2.get_cuda_device_count() == 0:
            checks.append(
                Check("gpu", "warn", "faster-whisper не видит CUDA", "./install.sh --gpu")
            )
    except ImportError:
        pass
    return checks


def _audio(settings: Settings, paths: Paths) -> list[Check]:
    from kiosk.audio import list_devices

    devices = list_devices()
    inputs = [d for d in devices if d.get("inputs", 0) > 0]
    outputs = [d for d in devices if d.get("outputs", 0) > 0]
    checks = []
    if inputs:
        checks.append(
            Check("audio", "ok", f"микрофоны: {', '.join(str(d['name']) for d in inputs)}")
        )
    else:
        checks.append(
            Check(
                "audio",
                "warn",
                "микрофон не найден: голосом говорить нельзя (kiosk chat и kiosk demo работают)",
                "подключите USB-микрофон; проверьте arecord -l",
            )
        )
    if outputs:
        checks.append(
            Check("audio", "ok", f"динамики: {', '.join(str(d['name']) for d in outputs)}")
        )
    else:
        checks.append(
            Check(
                "audio",
                "warn",
                "звуковой выход не найден: ответы пишутся в файл",
                "подключите колонки; проверьте aplay -l",
            )
        )
    return checks


def _display(settings: Settings, paths: Paths) -> list[Check]:
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return [Check("display", "ok", "экран есть")]
    return [
        Check(
            "display",
            "info",
            "экрана нет (ssh или сервер): аватар рисуется в видео (kiosk demo)",
            "на киоске запустите графическую сессию (system/README.md)",
        )
    ]


def _groups(settings: Settings, paths: Paths) -> list[Check]:
    if os.geteuid() == 0:
        return []
    names = {grp.getgrgid(g).gr_name for g in os.getgroups()}
    missing = [g for g in ("audio", "video") if g not in names]
    if missing:
        return [
            Check(
                "permissions",
                "warn",
                f"пользователь не в группах {', '.join(missing)}",
                f"sudo usermod -aG {','.join(missing)} $USER и перелогиньтесь",
            )
        ]
    return [Check("permissions", "ok", "группы audio и video есть")]
