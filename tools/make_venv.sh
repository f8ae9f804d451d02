#!/usr/bin/env bash
# Create the virtual environment with a Python >= 3.12, or say clearly why not.
set -euo pipefail
venv="${1:-.venv}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    exit 0
fi
found=""
for candidate in python3.14 python3.13 python3.12 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
            echo "creating $venv with $("$candidate" --version 2>&1) ($(command -v "$candidate"))"
            rm -rf "$venv"
            "$candidate" -m venv "$venv"
            exit 0
        fi
        found="$found $("$candidate" --version 2>&1 | tr -d '\n') [$candidate];"
    fi
done
echo "error: bayesgmm needs Python >= 3.12 (pymc 6 and arviz 1 require it)." >&2
echo "found only:${found:- no python at all}" >&2
echo "install Python 3.12 (e.g. 'pyenv install 3.12' - .python-version asks for it) and rerun make." >&2
exit 1
