#!/usr/bin/env bash
# The whole GPU measurement in one device call (see bench/gpu/README.md): install fastner's missing
# dependencies from the carried wheels (.whl/, no network), then run bench/gpu/driver.py, which sizes every
# stage to the budget, runs it and bundles the results into $OUT.
#
#   OUT=/tmp/out bash bench/gpu/run.sh [--device cuda|cpu] [--size paper|tiny|...] [--budget SECONDS]
#
# PYTHON picks the interpreter (default python3). Exit code: 0 when every stage succeeded.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder whose files come back}"
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
{
  if ! "$PY" -c "import segtok, line_profiler" 2>/dev/null; then
    if ! ls .whl/*.whl >/dev/null 2>&1; then
      echo "run.sh: segtok or line_profiler is missing and there are no wheels in .whl/ (bench/gpu/fetch-wheels.sh)"
      exit 2
    fi
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/fastner-site \
      .whl/*.whl || exit 2
    export PYTHONPATH="/tmp/fastner-site:$PYTHONPATH"
  fi
  "$PY" -c "import fastner, segtok, line_profiler, pytest_benchmark, matplotlib, torch; \
print('run.sh: fastner from', fastner.__file__, '| torch', torch.__version__, '| cuda', torch.cuda.is_available())" \
    || exit 2
  "$PY" bench/gpu/driver.py run --out "$OUT" "$@"
} 2>&1 | tee "$OUT/log.txt"
exit "${PIPESTATUS[0]}"
