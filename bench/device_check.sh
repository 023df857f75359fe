#!/usr/bin/env bash
# The GPU checks of lstmlab.torch in one run, for a session that is lent a GPU machine.
#
# What it does, in order, each step's output saved under $OUT (or the folder given as $1):
#   1. the tests marked `cuda` (parity with cuDNN, no host syncs, CUDA graphs, training);
#   2. the speed ladder of chapter 8 on the GPU, rungs a, b, c2/c3, d (CUDA graphs), e (cuDNN):
#      ladder_gpu.json, to commit as book/data/ladder_gpu.json;
#   3. lstmlab.torch against torch.nn on the GPU: timing_gpu.json (book/data/timing_gpu.json).
# It uses the machine's own python3 (which holds a CUDA build of PyTorch, numpy, matplotlib,
# pytest and hypothesis) with this checkout on PYTHONPATH: nothing is installed.  About five
# minutes on an H200; from the repository root:
#
#     bash bench/device_check.sh            # $OUT set by the device tool
#     PYTHON=.venv/bin/python bash bench/device_check.sh /tmp/check   # a dry run on a CPU
#
# Exit status: 2 without a CUDA GPU (after saving what it could), else the tests' status.
set -uo pipefail
out="${OUT:-${1:-/tmp/lstmlab-device-check}}"
py="${PYTHON:-python3}"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

"$py" - <<'EOF' 2>&1 | tee "$out/environment.txt"
import platform
import torch
print(f"python {platform.python_version()}, torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
if torch.cuda.is_available():
    print(f"GPU: {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
EOF
if ! "$py" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "no CUDA GPU visible: nothing to check here" | tee -a "$out/environment.txt"
    exit 2
fi

"$py" -m pytest -q -m cuda -p no:cacheprovider tests/torch tests/train tests/lm 2>&1 | tee "$out/cuda_tests.txt"
tests_status=${PIPESTATUS[0]}
"$py" bench/bench_lstm_ladder.py --device cuda --reps 30 --no-compile --json "$out/ladder_gpu.json" \
    2>&1 | tee "$out/ladder_gpu.txt"
"$py" bench/bench_torch_lstm.py --device cuda --reps 30 --json "$out/timing_gpu.json" \
    2>&1 | tee "$out/timing_gpu.txt"
exit "$tests_status"
