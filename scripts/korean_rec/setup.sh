#!/usr/bin/env bash
# The training environment for the Korean recognizer (.venv-train), separate from the service's.
#
#   scripts/korean_rec/setup.sh
#
# torch: the CPU build. On the project's machines `pip install torch==2.13.0` takes the CPU wheel that
# lies on disk; elsewhere pass TORCH_INDEX=https://download.pytorch.org/whl/cpu (or a CUDA index on a GPU
# machine). onnx2torch is installed without dependencies: it asks for torchvision, which would pull a CUDA
# build of torch, and the recognizer needs none of torchvision's operators (scripts/korean_rec/model.py).
# Also needs Debian's fonts (see scripts/korean_rec/fonts.py) and, for speed, libtcmalloc-minimal4
# (SKIP_APT=1: never call apt-get).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv-train}
PYTHON=${PYTHON:-python3}
if [[ "${SKIP_APT:-0}" != 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    fonts-nanum fonts-nanum-extra fonts-nanum-coding fonts-noto-cjk fonts-noto-cjk-extra fonts-unfonts-core fonts-unfonts-extra \
    fonts-baekmuk fonts-dejavu-core fonts-dejavu-extra libtcmalloc-minimal4 >/dev/null
fi
"$PYTHON" -m venv "$VENV"
pip=("$VENV/bin/pip" install -q --disable-pip-version-check)
if [[ -n "${TORCH_INDEX:-}" ]]; then
  "${pip[@]}" --index-url "$TORCH_INDEX" torch==2.13.0
else
  "${pip[@]}" torch==2.13.0
fi
"${pip[@]}" onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6 pillow==13.0.0 opencv-python-headless==5.1.0.95 \
  pyyaml==6.0.4 faker==40.63.0 wordfreq==3.1.1 fonttools==4.68.0 rapidfuzz==3.14.6
"${pip[@]}" --no-deps onnx2torch==1.5.15
echo "[korean_rec] $VENV ready: $("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())')"
