#!/usr/bin/env bash
# Download, here, the wheels bench/gpu/run.sh installs on the device machine (Python 3.12, x86-64, no
# network there): the packages fastner and its bench need that the device image lacks. Into .whl/ at the
# repository root (ignored by .gitignore); name `.whl` in the device call's `carry`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
"$PY" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl \
  segtok==1.5.11 line_profiler==5.1.0
ls -l .whl
