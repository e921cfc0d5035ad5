"""Typed, validated settings from one TOML file, with defaults that work with no file.

Where the file comes from, first match wins:

1. ``--config PATH`` on the command line;
2. the ``KIOSK_CONFIG`` environment variable;
3. the per-user file ``~/.config/kiosk/kiosk.toml`` (development);
4. the system file ``/etc/kiosk/kiosk.toml``;
5. no file: built-in defaults.

Single values can be overridden from the environment as ``KIOSK_<SECTION>__<KEY>``
(for example ``KIOSK_BRAIN__ENGINE=scripted``); those win over the file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kiosk.errors import ConfigError

__all__ = [
    "AudioSettings",
    "AvatarSettings",
    "BrainSettings",
    "DaemonSettings",
    "GeneralSettings",
    "ListenSettings",
    "PathSettings",
    "STTSettings",
    "Settings",
    "VoiceSettings",
    "config_search_path",
    "find_config_file",
    "load_settings",
]

SYSTEM_CONFIG = Path("/etc/kiosk/kiosk.toml")
ENV_CONFIG = "KIOSK_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PathSettings(_Section):
    """Where the kiosk keeps its data."""

    data_dir: Path | None = None
    """Database, voices, avatars. Empty: /var/lib/kiosk for the system service,
    else ~/.local/share/kiosk (see ``kiosk.paths``)."""
    models_dir: Path | None = None
    """Imported and embedded models. Empty: ``<data_dir>/models``."""


class GeneralSettings(_Section):
    """What every stage shares."""

    language: Literal["ru"] = "ru"
    """Language of the conversation (only Russian for now)."""
    persona: str = Field("anya", min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    """Active persona: a file ``<name>.toml`` in content/personas or the data dir."""
    child_name: str = Field("", max_length=64)
    """The child's name, if the parent wants Аня to know it from the start."""
    retention_days: int = Field(0, ge=0, le=3650)
    """Days of conversation history kept; 0 keeps everything.

    Facts stay until the parent forgets them.
    """
    quiet_start: str = Field("", pattern=r"^$|^([01][0-9]|2[0-3]):[0-5][0-9]$")
    """Start of quiet hours as HH:MM (local time); empty: no quiet hours.

    During quiet hours Аня sleeps: the wake word gets a short goodnight, not a talk.
    """
    quiet_end: str = Field("", pattern=r"^$|^([01][0-9]|2[0-3]):[0-5][0-9]$")
    """End of quiet hours as HH:MM; may be earlier than the start (over midnight)."""
    daily_limit_min: int = Field(0, ge=0, le=1440)
    """Minutes of talk per day (child speech plus Аня's replies); 0: no limit."""

    @model_validator(mode="after")
    def _quiet_hours_pair(self) -> GeneralSettings:
        if bool(self.quiet_start) != bool(self.quiet_end):
            raise ValueError("тихие часы: укажите и начало, и конец (ЧЧ:ММ) или ни то, ни другое")
        return self


class AudioSettings(_Section):
    """Microphone and speaker."""

    input_device: str = ""
    """Microphone by PortAudio name (substring) or index; empty for the default."""
    output_device: str = ""
    """Speaker by PortAudio name (substring) or index; empty for the default."""
    sample_rate: Literal[16000] = 16000
    """Rate of the capture path in Hz; devices at other rates are resampled."""
    frame_ms: Literal[10, 20, 30] = 30
    """Length of one capture frame in milliseconds (webrtcvad takes 10/20/30)."""
    volume: float = Field(0.9, ge=0.0, le=1.0)
    """Playback volume 0..1."""
    reconnect_s: float = Field(2.0, ge=0.2, le=60.0)
    """Seconds between attempts to reopen a microphone that went away."""


class ListenSettings(_Section):
    """Wake word and end-of-speech detection."""

    wake_phrases: tuple[str, ...] = ("аня", "привет аня")
    """Phrases that wake the kiosk (lower case, Russian)."""
    wake_sensitivity: float = Field(0.6, ge=0.0, le=1.0)
    """0..1: higher wakes more easily (and falsely more often)."""
    wake_engine: Literal["auto", "oww", "transcript"] = "auto"
    """Wake detector: "oww" (acoustic «Аня» model), "transcript" (name at the start of the
    recognised text) or "auto" (oww when its model is installed, else transcript)."""
    vad_engine: Literal["webrtc", "silero"] = "webrtc"
    """End-of-speech detector: "webrtc" (webrtcvad) or "silero" (Silero VAD ONNX, noise-robust)."""
    follow_up_s: float = Field(8.0, ge=0.0, le=120.0)
    """Seconds after a reply during which the child can talk without the wake word."""
    vad_aggressiveness: int = Field(2, ge=0, le=3)
    """webrtcvad mode 0..3: higher rejects more noise as non-speech."""
    end_silence_ms: int = Field(240, ge=90, le=3000)
    """Milliseconds of silence that end an utterance (240: the end is known ~250 ms after the
    child stops; a pause cut early is joined back when she goes on within 1 s)."""
    min_speech_ms: int = Field(250, ge=30, le=5000)
    """Shorter bursts of voice are ignored (coughs, clicks)."""
    max_speech_s: float = Field(15.0, ge=1.0, le=60.0)
    """An utterance is cut here even if the child keeps talking."""
    pre_roll_ms: int = Field(300, ge=0, le=2000)
    """Audio kept from before speech began, so first syllables are not lost."""
    echo_cancellation: bool = True
    """Cancel Аня's own voice from the microphone (WebRTC AEC) so she can be interrupted."""
    barge_in: bool = True
    """The child's voice over Аня's stops the reply; off: half-duplex (mic muted while speaking)."""
    speaker_tagging: bool = True
    """Tag each utterance child/parent/unknown once voices are enrolled."""
    speaker_threshold: float = Field(0.8, ge=0.0, le=1.0)
    """Cosine similarity a voice needs to be named; below it: unknown."""
    push_to_talk_key: str = Field("space", max_length=32)
    """pygame key name (space, return, f1…) that opens listening without the wake word;
    empty: no push-to-talk."""


class STTSettings(_Section):
    """Speech to text."""

    engine: Literal["whisper", "vosk"] = "whisper"
    """Recogniser engine."""
    model: str = "whisper-base"
    """Model name from the manifest (``kiosk models list``) or a path to a model folder."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """Where to run: auto picks CUDA when a GPU is present."""
    compute_type: str = "auto"
    """CTranslate2 compute type; auto is int8 on CPU and float16 on GPU."""
    beam_size: int = Field(1, ge=1, le=10)
    """Beam width; 1 is greedy and fastest."""
    cpu_threads: int = Field(0, ge=0, le=64)
    """CPU threads for inference; 0 lets the library decide."""
    hotwords: tuple[str, ...] = ("Аня",)
    """Words the recogniser should favour (names)."""
    vosk_model: str = "vosk-model-small-ru-0.22"
    """Model used when engine is vosk (name from the manifest or a folder)."""


class BrainSettings(_Section):
    """The conversation engine."""

    engine: Literal["auto", "llm", "scripted", "http"] = "auto"
    """auto: the LLM when a chat GGUF is installed, else the scripted dialogues;
    http: an OpenAI-compatible server (llama.cpp server, Ollama, vLLM) at http_base_url."""
    llm_model: str = ""
    """Model name from the manifest or a path to a .gguf; empty picks the best installed."""
    n_ctx: int = Field(4096, ge=512, le=131072)
    """Context window in tokens."""
    n_gpu_layers: int = Field(-1, ge=-1, le=1000)
    """Layers offloaded to the GPU; -1 chooses from free VRAM, 0 is CPU only."""
    max_tokens: int = Field(200, ge=16, le=4096)
    """Longest reply in tokens."""
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    """Sampling temperature."""
    history_turns: int = Field(8, ge=0, le=100)
    """Recent turns kept verbatim in the prompt."""
    threads: int = Field(0, ge=0, le=64)
    """CPU threads for llama.cpp; 0 lets the library decide."""
    http_base_url: str = "http://127.0.0.1:8080/v1"
    """OpenAI-compatible API root for engine http (Ollama: http://HOST:11434/v1)."""
    http_model: str = ""
    """Model name sent to the http server (Ollama: e.g. qwen3:4b); empty: server default."""
    http_api_key_env: str = ""
    """Environment variable holding the http server's API key; empty: no key."""
    http_timeout_s: float = Field(30.0, gt=0.0, le=600.0)
    """Seconds to wait for the http server to connect or send the next chunk."""
    memory_budget_tokens: int = Field(400, ge=0, le=8192)
    """Prompt tokens for remembered facts and the summary of earlier talk."""
    memory_llm: bool = False
    """Also let the LLM extract facts and write summaries (for strong models)."""
    safety_level: Literal["standard", "strict"] = "standard"
    """standard: block what is unfit for a 12-year-old; strict: also steer away
    from scary or grown-up topics (war, horror, dating, money) with a gentle redirect."""
    parent_alerts: bool = True
    """Record an alert for the parent when the child mentions danger, self-harm or abuse."""
    safety_model: bool = True
    """After the word lists, ask the small learned classifier (content/safety/model/) about
    the child's words; catches paraphrased disclosures at a few more false blocks."""
    self_check: Literal["auto", "on", "off"] = "auto"
    """Ask the LLM itself whether each reply is fit for a 12-year-old before it is spoken
    (after the word lists and the classifier). auto: only with a model strong enough to
    judge (about 3B parameters and up); on: always (slower); off: never."""
    keep_personal_data: bool = False
    """Store phone numbers, addresses and e-mails as the child said them; off: they are
    masked ("[телефон]") in the saved history, memory and summaries."""


class VoiceSettings(_Section):
    """Text to speech."""

    engine: Literal["espeak", "festival", "piper", "coqui", "trained"] = "espeak"
    """Synthesizer engine ("trained": a checkpoint of ``kiosk voice train``)."""
    checkpoint: str = ""
    """Trained voice for engine "trained": a voice name in the data dir (its
    train-acoustic/ or train-tiny/ last.pt) or a path to a .pt file; empty: the only one."""
    voice: str = "ru+f3"
    """Engine voice (espeak-ng: ru, ru+f3, ...; festival: msu_ru_nsh_clunits)."""
    rate_wpm: int = Field(165, ge=80, le=400)
    """Speaking rate in words per minute."""
    pitch: int = Field(70, ge=0, le=99)
    """Voice pitch 0..99 (espeak-ng); higher sounds younger."""


class AvatarSettings(_Section):
    """The face on the screen."""

    fullscreen: bool = False
    """Fill the kiosk display (letterboxed); otherwise a window."""
    size: int = Field(512, ge=128, le=2048)
    """Side of the square avatar image in pixels."""
    fps: int = Field(30, ge=10, le=120)
    """Target frames per second."""
    photo_asset: str = ""
    """Prepared avatar asset name; empty uses the drawn default face."""
    enhance_threads: int = Field(0, ge=0, le=64)
    """CPU threads for Real-ESRGAN in ``kiosk avatar prepare``; 0: the cores, at most 4."""


class DaemonSettings(_Section):
    """The background service."""

    socket_path: Path | None = None
    """Control socket for the admin TUI; empty: ``<data_dir>/kiosk.sock``."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Log verbosity."""
    admin_group: str = "kiosk-admin"
    """Unix group allowed on the control socket (besides root and the daemon's user)."""
    vram_budget_mb: int = Field(10240, ge=0, le=1_048_576)
    """MiB of GPU memory all models together may use (10 GiB fits a 12 GB RTX 3060)."""
    idle_unload_min: int = Field(0, ge=0, le=1440)
    """Minutes without a conversation after which GPU models are unloaded; 0: keep warm."""
    hang_s: float = Field(180.0, ge=10.0, le=3600.0)
    """A reply still running after this many seconds counts as hung: the daemon stops
    its watchdog pings so that systemd restarts it (a stuck model thread cannot be
    cancelled from Python)."""


class Settings(BaseSettings):
    """All settings, one frozen section per stage."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix="KIOSK_",
        env_nested_delimiter="__",
        nested_model_default_partial_update=True,
    )

    paths: PathSettings = PathSettings()
    general: GeneralSettings = GeneralSettings()
    audio: AudioSettings = AudioSettings()
    listen: ListenSettings = ListenSettings()
    stt: STTSettings = STTSettings()
    brain: BrainSettings = BrainSettings()
    voice: VoiceSettings = VoiceSettings()
    avatar: AvatarSettings = AvatarSettings()
    daemon: DaemonSettings = DaemonSettings()

    source: Path | None = Field(None, exclude=True)
    """The file these settings were read from, if any."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment overrides beat the file (passed as init values)."""
        return (env_settings, init_settings)


def config_search_path() -> list[Path]:
    """Files looked at, in order, when no ``--config`` is given."""
    paths: list[Path] = []
    if env := os.environ.get(ENV_CONFIG):
        paths.append(Path(env))
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    paths.append(config_home / "kiosk" / "kiosk.toml")
    paths.append(SYSTEM_CONFIG)
    return paths


def find_config_file(explicit: Path | None = None) -> Path | None:
    """The config file to use, or None for built-in defaults.

    An explicit path (``--config``) or ``KIOSK_CONFIG`` must exist; the
    per-user and system files are used only when present.
    """
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(
                f"Файл настроек не найден: {explicit}",
                "проверьте путь в --config",
            )
        return explicit
    if env := os.environ.get(ENV_CONFIG):
        path = Path(env)
        if not path.is_file():
            raise ConfigError(
                f"Файл настроек не найден: {path} (из {ENV_CONFIG})",
                f"исправьте или уберите переменную окружения {ENV_CONFIG}",
            )
        return path
    for path in config_search_path():
        if path.is_file():
            return path
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: ошибка синтаксиса TOML: {exc}",
            "исправьте эту строку (строки в кавычках, разделы [вот_так])",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"{path}: не удаётся прочитать: {exc.strerror}", "проверьте права доступа к файлу"
        ) from exc


def _describe_errors(exc: ValidationError, origin: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            parent_model = _section_for(err["loc"][:-1])
            allowed = ", ".join(sorted(parent_model.model_fields)) if parent_model else ""
            lines.append(f"  {key}: неизвестный ключ (допустимы: {allowed})")
            continue
        given = err.get("input")
        shown = "" if isinstance(given, dict) else f" (got {given!r})"
        lines.append(f"  {key}: {err['msg']}{shown}")
    return f"Неверные настройки ({origin}):\n" + "\n".join(lines)


def _section_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Settings
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def load_settings(path: Path | None = None) -> Settings:
    """Read, validate and return the settings; raise ``ConfigError`` with every problem found."""
    file = find_config_file(path)
    data = _read_toml(file) if file else {}
    origin = str(file) if file else "переменные окружения"
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(
            _describe_errors(exc, origin),
            "исправьте эти ключи (README, раздел «Настройки») "
            "или удалите их, чтобы вернуть значения по умолчанию",
        ) from exc
    return settings.model_copy(update={"source": file})
