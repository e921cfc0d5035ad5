#!/usr/bin/env bash
# Regenerate the bundled demo questions (content/demo/*.wav) with Festival's
# Russian voice. Idempotent: the same text gives the same files every run.
#
# Needs: festival + festvox-ru (text2wave, voice msu_ru_nsh_clunits) and sox.
# Output: 16 kHz mono 16-bit WAV, ~0.4 s of silence before and ~0.8 s after
# the speech (Festival's own leading/trailing silence is trimmed first).
# The file → text list lives in questions.toml; keep the two in step.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in text2wave sox; do
    command -v "$tool" >/dev/null || {
        echo "make_demo_wavs.sh: '$tool' not found (sudo apt install festival festvox-ru sox)" >&2
        exit 1
    }
done

questions=(
    "01_privet|Аня, привет! Как тебя зовут?"
    "02_risovat|Аня, что ты любишь рисовать?"
    "03_zagadka|Аня, загадай мне загадку!"
    "04_skolko_let|Аня, а сколько тебе лет?"
    "05_poka|Аня, ну всё, пока!"
)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for entry in "${questions[@]}"; do
    name="${entry%%|*}"
    text="${entry#*|}"
    printf '%s\n' "$text" > "$tmp/$name.txt"
    text2wave -eval '(voice_msu_ru_nsh_clunits)' "$tmp/$name.txt" -o "$tmp/$name.raw.wav"
    # -D: no dither, so the output is byte-identical run after run.
    # silence … reverse silence … reverse: trim Festival's edges; pad: our own margins.
    sox -D "$tmp/$name.raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$tmp/$name.wav" \
        silence 1 0.02 0.1% reverse silence 1 0.02 0.1% reverse pad 0.4 0.8
    mv -f "$tmp/$name.wav" "$here/$name.wav"
    echo "$here/$name.wav: $text"
done
