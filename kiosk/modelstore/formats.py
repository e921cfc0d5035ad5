"""Recognise a model's format from its content and refuse damaged or truncated files.

Only headers and structure are read (GGUF metadata and tensor table, the CTranslate2
variable table, ONNX's top-level protobuf fields, zip directories), never the whole
weights, so a check takes milliseconds even on a 5 GB file.
"""

from __future__ import annotations

import json
import logging
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kiosk.errors import ModelCorrupt

__all__ = ["ModelSource", "check_file", "detect_source", "gguf_architecture"]

_LOGGER = logging.getLogger(__name__)

_TORCH_EXT = (".pt", ".pth", ".ckpt", ".tar")
_WEIGHT_EXT = (*_TORCH_EXT, ".safetensors", ".onnx", ".gguf")
_MIN_WEIGHTS = 1024
"""Bytes: a weights file smaller than this is certainly not a model."""


@dataclass(frozen=True, slots=True)
class ModelSource:
    """What to copy for one model, found on a USB stick or in a package."""

    format: str
    """Detected format (one of ``manifest.FORMATS``)."""
    base: Path
    """Folder the relative ``files`` are in."""
    files: tuple[str, ...]
    """POSIX paths relative to ``base``, every file that belongs to the model."""
    main: str
    """Relative path the engine loads; empty when it loads the folder."""

    @property
    def total_bytes(self) -> int:
        """Total size of ``files`` in bytes."""
        return sum((self.base / f).stat().st_size for f in self.files)


class _Truncated(Exception):
    pass


def _corrupt(path: Path, why: str) -> ModelCorrupt:
    return ModelCorrupt(
        f"Файл модели {path} повреждён или неполон: {why}",
        "скопируйте файл заново (дождитесь конца копирования, безопасно извлеките флешку) "
        "и проверьте его sha256 с источником",
    )


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise _Truncated
    return data


def _unpack(f: BinaryIO, fmt: str) -> int:
    value: int = struct.unpack(fmt, _read(f, struct.calcsize(fmt)))[0]
    return value


# ------------------------------------------------------------------ GGUF

# ggml type id -> (elements per block, bytes per block); from ggml.h / gguf-py constants.
_GGML_TYPES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
    14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98),
    19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82), 23: (256, 136),
    24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56),
    30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}  # fmt: skip
_GGUF_SCALARS = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def _gguf_string(f: BinaryIO) -> bytes:
    n = _unpack(f, "<Q")
    if n > 1 << 26:
        raise ValueError("недопустимая длина строки в метаданных")
    return _read(f, n)


def _gguf_skip_value(f: BinaryIO, vtype: int) -> int | bytes | None:
    """Read past one metadata value; return it when it is a string or an unsigned integer."""
    if vtype in _GGUF_SCALARS:
        raw = _read(f, _GGUF_SCALARS[vtype])
        return int.from_bytes(raw, "little") if vtype in (4, 10) else None
    if vtype == _GGUF_STRING:
        return _gguf_string(f)
    if vtype == _GGUF_ARRAY:
        item_type, count = _unpack(f, "<I"), _unpack(f, "<Q")
        if count > 1 << 28:
            raise ValueError("недопустимая длина массива в метаданных")
        if item_type in _GGUF_SCALARS:
            _read(f, _GGUF_SCALARS[item_type] * count)
        else:
            for _ in range(count):
                _gguf_skip_value(f, item_type)
        return None
    raise ValueError(f"неизвестный тип значения {vtype} в метаданных")


def gguf_architecture(path: Path) -> str:
    """``general.architecture`` of a GGUF file (``llama``, ``qwen3``); empty when absent."""
    with path.open("rb") as f:
        return _check_gguf(path, f)


def _check_gguf(path: Path, f: BinaryIO) -> str:
    if _read(f, 4) != b"GGUF":
        raise _corrupt(path, "это не GGUF (нет подписи GGUF в начале файла)")
    version = _unpack(f, "<I")
    if version not in (2, 3):
        raise _corrupt(path, f"версия GGUF {version} не поддерживается (нужна 2 или 3)")
    n_tensors, n_kv = _unpack(f, "<Q"), _unpack(f, "<Q")
    if n_tensors > 1 << 20 or n_kv > 1 << 20:
        raise _corrupt(path, "заголовок GGUF испорчен")
    alignment, architecture = 32, ""
    for _ in range(n_kv):
        key = _gguf_string(f)
        value = _gguf_skip_value(f, _unpack(f, "<I"))
        if key == b"general.alignment" and isinstance(value, int) and value:
            alignment = value
        elif key == b"general.architecture" and isinstance(value, bytes):
            architecture = value.decode("utf-8", "replace")
    end = 0
    for _ in range(n_tensors):
        _gguf_string(f)
        n_dims = _unpack(f, "<I")
        if n_dims > 8:
            raise ValueError("недопустимое число измерений тензора")
        elements = 1
        for _ in range(n_dims):
            elements *= _unpack(f, "<Q")
        ggml_type, offset = _unpack(f, "<I"), _unpack(f, "<Q")
        block, block_bytes = _GGML_TYPES.get(ggml_type, (1, 0))
        end = max(end, offset + elements // block * block_bytes)
    data_start = -(-f.tell() // alignment) * alignment
    size = path.stat().st_size
    if size < data_start + end:
        raise _corrupt(path, f"файл обрезан: {size} байт из ожидаемых не менее {data_start + end}")
    return architecture


# ------------------------------------------------------------------ CTranslate2, ONNX, others


def _ct2_string(f: BinaryIO) -> None:
    _read(f, _unpack(f, "<H"))


def _check_ctranslate2(path: Path, f: BinaryIO) -> None:
    version = _unpack(f, "<I")
    if not 1 <= version <= 6:
        raise _corrupt(path, f"это не model.bin CTranslate2 (версия {version})")
    _ct2_string(f)
    if version < 6:  # older layouts differ in details; the header is all we check
        _LOGGER.info("ctranslate2 binary version %d: header checked only", version)
        return
    _unpack(f, "<I")  # revision
    size = path.stat().st_size
    for _ in range(_unpack(f, "<I")):
        _ct2_string(f)
        for _ in range(_unpack(f, "<B")):
            _unpack(f, "<I")
        _unpack(f, "<B")  # dtype
        nbytes = _unpack(f, "<I")
        if f.tell() + nbytes > size:
            raise _Truncated
        f.seek(nbytes, 1)
    for _ in range(_unpack(f, "<I")):  # aliases
        _ct2_string(f)
        _ct2_string(f)


def _varint(f: BinaryIO) -> int:
    value = shift = 0
    while True:
        byte = _read(f, 1)[0]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise ValueError("испорченное число protobuf")


def _check_onnx(path: Path, f: BinaryIO) -> None:
    """Walk ModelProto's top-level fields: each must fit in the file, a graph must be there."""
    size = path.stat().st_size
    seen: set[int] = set()
    while f.tell() < size:
        tag = _varint(f)
        field, wire = tag >> 3, tag & 7
        if not 1 <= field <= 64:
            raise ValueError(f"поле protobuf {field} не из ONNX")
        if wire == 0:
            _varint(f)
        elif wire in (1, 5):
            _read(f, 8 if wire == 1 else 4)
        elif wire == 2:
            length = _varint(f)
            if f.tell() + length > size:
                raise _Truncated
            f.seek(length, 1)
        else:
            raise ValueError(f"тип поля protobuf {wire} не из ONNX")
        seen.add(field)
    if 7 not in seen:
        raise ValueError("в файле ONNX нет графа")


def _check_safetensors(path: Path, f: BinaryIO) -> None:
    header_len = _unpack(f, "<Q")
    if header_len > 100 << 20:
        raise ValueError("заголовок safetensors испорчен")
    header = json.loads(_read(f, header_len))
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if path.stat().st_size < 8 + header_len + end:
        raise _Truncated


def _check_torch(path: Path, f: BinaryIO) -> None:
    head = _read(f, 4)
    if head.startswith(b"PK"):
        with zipfile.ZipFile(f) as archive:  # reads the central directory at the end
            if not archive.namelist():
                raise ValueError("пустой архив torch")
    elif head[0] != 0x80:  # legacy torch.save: a pickle stream
        raise ValueError("это не файл весов torch")


def _check_json(path: Path, f: BinaryIO) -> None:
    json.loads(f.read())


def _check_ncnn_param(path: Path, f: BinaryIO) -> None:
    if f.readline().strip() != b"7767517":
        raise ValueError("это не файл .param ncnn")


_CHECKS: dict[str, Callable[[Path, BinaryIO], object]] = {
    ".gguf": _check_gguf,
    ".onnx": _check_onnx,
    ".safetensors": _check_safetensors,
    ".json": _check_json,
    ".param": _check_ncnn_param,
    **dict.fromkeys(_TORCH_EXT, _check_torch),
}


def check_file(path: Path, kind: str | None = None) -> None:
    """Check one file's structure by its extension (or ``kind``, e.g. ``"model.bin"``).

    Raises ``ModelCorrupt`` when it is damaged, truncated or of another format.
    Files of kinds without a check only need to exist.
    """
    kind = kind or path.suffix.lower()
    check = _check_ctranslate2 if kind == "model.bin" else _CHECKS.get(kind)
    if check is None:
        return
    size = path.stat().st_size
    if kind != ".json" and kind != ".param" and size < _MIN_WEIGHTS:
        raise _corrupt(path, f"слишком мал ({size} байт) для весов модели")
    try:
        with path.open("rb") as f:
            check(path, f)
    except ModelCorrupt:
        raise
    except _Truncated:
        raise _corrupt(path, "файл обрезан (обрыв посреди данных)") from None
    except (ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile) as exc:
        raise _corrupt(path, str(exc) or type(exc).__name__) from exc
    except OSError as exc:
        raise _corrupt(path, f"не читается: {exc.strerror}") from exc


def _walk(folder: Path) -> list[str]:
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(p.startswith(".") or p == "__MACOSX" for p in rel.parts) or not path.is_file():
            continue
        files.append(rel.as_posix())
    return files


def _detect_folder(folder: Path) -> tuple[str, str]:
    """Return (format, main) for a model folder, or raise ``ModelCorrupt``."""
    names = _walk(folder)
    exts = {Path(n).suffix.lower() for n in names}
    has = set(names).__contains__
    if has("model.bin") and has("config.json"):
        return "ctranslate2", ""
    if (folder / "am").is_dir() and (folder / "conf").is_dir():
        return "vosk", ""
    onnx = [n for n in names if n.endswith(".onnx")]
    if len(onnx) == 1 and has(onnx[0] + ".json"):
        return "piper", onnx[0]
    if has("config.json") and any(n.endswith(".pth") for n in names):
        return "coqui", ""
    if any(n.endswith(".param") and has(n[:-6] + ".bin") for n in names):
        return "ncnn", ""
    gguf = [n for n in names if n.endswith(".gguf")]
    if len(gguf) == 1:
        return "gguf", gguf[0]
    if exts & {*_TORCH_EXT, ".safetensors"}:
        return "torch", ""
    if len(onnx) == 1:
        return "onnx", onnx[0]
    raise ModelCorrupt(
        f"В папке {folder} не найдена модель известного формата",
        "укажите папку модели целиком (CTranslate2: model.bin + config.json; Vosk: am/ и conf/; "
        "Piper: .onnx + .onnx.json) или один файл .gguf/.onnx/.pth",
    )


def _detect_file(path: Path) -> tuple[str, tuple[str, ...]]:
    suffix = path.suffix.lower()
    with path.open("rb") as f:
        magic = f.read(4)
    if magic == b"GGUF" or suffix == ".gguf":
        return "gguf", (path.name,)
    if suffix == ".onnx":
        sidecar = path.with_name(path.name + ".json")
        if sidecar.is_file():
            return "piper", (path.name, sidecar.name)
        return "onnx", (path.name,)
    if suffix in _TORCH_EXT:
        return "torch", (path.name,)
    if suffix == ".safetensors":
        return "safetensors", (path.name,)
    if suffix == ".zip":
        hint = "распакуйте архив и импортируйте получившуюся папку"
    elif path.name == "model.bin":
        hint = "импортируйте всю папку модели (model.bin вместе с config.json)"
    else:
        hint = "модели бывают: .gguf, .onnx, .pth/.pt, .safetensors или папка модели"
    raise ModelCorrupt(f"Не понимаю, что за модель в файле {path.name}", hint)


def detect_source(path: Path) -> ModelSource:
    """Identify the model format of a file or folder and check every weights file in it.

    Raises ``ModelCorrupt`` for a missing path or an unknown, damaged or truncated model.
    """
    if not path.exists():
        raise ModelCorrupt(
            f"Нет такого файла или папки: {path}",
            "проверьте путь (флешка подключена? ls /media/usb)",
        )
    if path.is_dir():
        fmt, main = _detect_folder(path)
        source = ModelSource(fmt, path, tuple(_walk(path)), main)
    else:
        fmt, files = _detect_file(path)
        source = ModelSource(fmt, path.parent, files, path.name)
    for rel in source.files:
        ct2 = source.format == "ctranslate2" and rel == "model.bin"
        check_file(source.base / rel, "model.bin" if ct2 else None)
    return source
