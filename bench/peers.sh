#!/usr/bin/env bash
# Benchmarks sportello against two peers (scikit-learn TF-IDF + logistic regression, fastText).
# Usage: bash bench/peers.sh [--quick] [other peers.py options]
# See bench/README.md for what is measured and the caveats.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="$ROOT/bench/.venv"
PY="$VENV/bin/python"

# 1. A virtualenv with the peers, made once and reused.
if [ ! -x "$PY" ]; then
    echo "peers.sh: creating $VENV" >&2
    python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import sklearn, numpy, fasttext, threadpoolctl' 2>/dev/null; then
    echo "peers.sh: installing scikit-learn, numpy, fasttext-wheel into $VENV" >&2
    "$PY" -m pip install --quiet --upgrade pip
    # fasttext-wheel 0.9.2 calls np.array(..., copy=False), which numpy 2 rejects: keep numpy 1.
    "$PY" -m pip install --quiet 'numpy<2' scikit-learn fasttext-wheel threadpoolctl
fi

# GNU time reports each command's peak memory (see run() in peers.py).
if [ ! -x /usr/bin/time ]; then
    echo "peers.sh: installing GNU time" >&2
    apt-get update -qq && apt-get install -y -qq time >/dev/null
fi

# 2. sportello, optimised (CARGO_TARGET_DIR unset so the binary lands in target/release).
echo "peers.sh: building sportello (release)" >&2
env -u CARGO_TARGET_DIR cargo build --release --locked --quiet
# Benchmark a private copy: someone else's `cargo build` must not swap the binary mid-run.
mkdir -p "$ROOT/bench/work"
cp "$ROOT/target/release/sportello" "$ROOT/bench/work/sportello"

# 3. The peers fit on one thread each: pin the BLAS/OpenMP pools. (sportello uses both cores
#    in training and batch classification; see the README.)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export PYTHONHASHSEED=0
exec "$PY" "$ROOT/bench/peers.py" --sportello "$ROOT/bench/work/sportello" "$@"
