#!/usr/bin/env bash
# Create .venv, install the app's and the tests' requirements, then the project itself in
# editable mode (pyproject.toml), so `demo` and `training` import from any folder.  Idempotent:
# the editable install is redone only when pyproject.toml, the requirements or the checkout's
# place change.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt
root=$(pwd)
stamp=.venv/.rnn-lens-editable
want="$root $(cat pyproject.toml requirements.txt | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! (cd / && "$root/.venv/bin/python" -c "import demo, training") 2>/dev/null; then
    PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q -e .
    echo "$want" > "$stamp"
fi
