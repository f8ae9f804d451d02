#!/usr/bin/env bash
# Create the virtual environment with a Python >= 3.12, or say clearly why not.
set -uo pipefail
venv="${1:-.venv}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    exit 0
fi
found=""
for candidate in python3.12 python3.13 python3.14 python3 python; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    # pyenv shims exist for versions that are not selected: they fail here, skip them
    version=$("$candidate" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null) || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
        echo "creating $venv with Python $version ($(command -v "$candidate"))"
        rm -rf "$venv"
        "$candidate" -m venv "$venv" || { echo "error: '$candidate -m venv' failed" >&2; exit 1; }
        exit 0
    fi
    found="$found Python $version ($candidate);"
done
echo "error: bayesgmm needs Python >= 3.12 (pymc 6 and arviz 1 require it)." >&2
echo "found only:${found:- no python at all}" >&2
echo "install Python 3.12 (e.g. 'pyenv install 3.12'; .python-version asks for it) and rerun make." >&2
exit 1
