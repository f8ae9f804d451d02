"""Execute every notebook in notebooks/ top to bottom (code cells in one namespace)."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = json.loads(path.read_text())["cells"]
    namespace = {"__name__": "__main__"}
    state = np.random.get_state()  # noqa: NPY002 - notebooks may seed the legacy global generator
    try:
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            exec(compile(source, f"{path.name}[cell {index}]", "exec"), namespace)
    finally:
        np.random.set_state(state)  # noqa: NPY002
        plt.close("all")
    assert namespace, "notebook defined nothing"


def test_notebooks_exist():
    assert NOTEBOOKS, "notebooks/ holds no notebook"
