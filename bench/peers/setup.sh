#!/usr/bin/env bash
# Create the peer environments for the scorecard benchmark (bench/bench_scorecard.py):
#   bench/.peers/optbinning   optbinning (+ ortools ...) from requirements-optbinning.txt
#   bench/.peers/scorecardpy  scorecardpy with pandas 1.5.3 from requirements-scorecardpy.txt
# Idempotent: an environment is (re)built only when missing, broken or its requirements file
# changed (a stamp holds the file's checksum). Needs Python 3.11 (PYTHON=... to choose) and PyPI.
#   bash bench/peers/setup.sh [optbinning|scorecardpy ...]      # default: both
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="$(dirname "$HERE")/.peers"

pick_python() {
    local cand
    for cand in "${PYTHON:-}" python3.11 python3; do
        [ -n "$cand" ] || continue
        command -v "$cand" >/dev/null 2>&1 || continue
        if "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$cand"
            return 0
        fi
    done
    echo "setup.sh: Python 3.11 not found (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

build() {
    local name="$1" req="$HERE/requirements-$1.txt" venv="$PEERS/$1" import="$2"
    local sum stamp
    sum="$(sha256sum "$req" | cut -d' ' -f1)"
    stamp="$venv/.installed"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] \
        && "$venv/bin/python" -c "import $import" >/dev/null 2>&1; then
        echo "bench/.peers/$name: up to date"
        return 0
    fi
    echo "bench/.peers/$name: installing from $(basename "$req") ..."
    rm -rf "$venv"
    "$PY" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$req"
    "$venv/bin/python" -c "import $import" >/dev/null
    echo "$sum" > "$stamp"
    echo "bench/.peers/$name: ready"
}

PY="$(pick_python)"
mkdir -p "$PEERS"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(optbinning scorecardpy)
for t in "${targets[@]}"; do
    case "$t" in
        optbinning) build optbinning optbinning ;;
        scorecardpy) build scorecardpy scorecardpy ;;
        *) echo "setup.sh: unknown peer $t (optbinning|scorecardpy)" >&2; exit 2 ;;
    esac
done
