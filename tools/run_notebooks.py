"""Execute the notebooks in place, keeping their outputs (``make notebooks``).

Each notebook runs top to bottom in a fresh kernel with the full settings (not the
tests' ``BAYESGMM_NOTEBOOK_QUICK``), so that the committed files show every figure
and table to a reader on any notebook viewer. A notebook that raises stops the run;
the file is replaced atomically (temp file + rename) only after it ran through.

Usage: python tools/run_notebooks.py [notebook.ipynb ...]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from bayesgmm.core.atomic_io import atomic_write

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path) -> float:
    """Execute one notebook in a fresh kernel and save it with its outputs; seconds."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=1800,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    for cell in notebook.cells:  # stable files: no execution timestamps
        cell.get("metadata", {}).pop("execution", None)
        for output in cell.get("outputs", []):  # warnings name files relative to the checkout
            if output.get("output_type") == "stream":
                output["text"] = output["text"].replace(f"{ROOT}{os.sep}", "")
    with atomic_write(path) as temp:  # bayesgmm's one atomic write (keeps permissions)
        nbformat.write(notebook, str(temp))
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    """Execute the given notebooks (all of ``notebooks/`` when none are given)."""
    os.environ.pop("BAYESGMM_NOTEBOOK_QUICK", None)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        print(f"  done in {run(path):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
