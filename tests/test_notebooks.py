"""Execute every notebook in notebooks/ top to bottom (code cells in one namespace).

The notebooks read ``BAYESGMM_NOTEBOOK_QUICK``: set to ``1`` here, they use small
grids and short sampler runs. Statistical warnings that short runs produce on purpose
(bayesgmm's sampling, convergence and collapse warnings, and the overfitted
mixture's cut-off warning) are shown to the reader in a notebook, so here they are
recorded, not raised; any other warning still fails the test, and so does any error.
"""

import json
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from bayesgmm.exceptions import ComponentCollapseWarning, ConvergenceWarning, SamplingWarning

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
EXPECTED = (SamplingWarning, ConvergenceWarning, ComponentCollapseWarning)
#: fit_sparse_mixture's warning that short chains may put mass on K_max
CUT_OFF = re.compile(r"P\(K\+ = \d+\) = .* the posterior wants all max_components")


def run_notebook(path: Path) -> dict:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = json.loads(path.read_text())["cells"]
    namespace = {"__name__": "__main__"}
    state = np.random.get_state()  # noqa: NPY002 - notebooks may seed the legacy global generator
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for index, cell in enumerate(cells):
                if cell["cell_type"] != "code":
                    continue
                source = "".join(cell["source"])
                exec(compile(source, f"{path.name}[cell {index}]", "exec"), namespace)
                plt.close("all")
    finally:
        np.random.set_state(state)  # noqa: NPY002
        plt.close("all")
    for w in caught:
        expected = issubclass(w.category, EXPECTED) or CUT_OFF.search(str(w.message))
        if not expected:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return namespace


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    monkeypatch.setenv("BAYESGMM_NOTEBOOK_QUICK", "1")
    namespace = run_notebook(path)
    assert namespace.get("QUICK") is True, "the notebook must read BAYESGMM_NOTEBOOK_QUICK"


def test_notebooks_exist():
    names = {path.stem for path in NOTEBOOKS}
    expected = {
        "01-quickstart",
        "02-choosing-k",
        "03-uncertain-clustering",
        "04-anomaly-detection",
        "05-noise",
        "06-classification",
    }
    assert expected <= names, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_with_its_outputs(path):
    """Committed executed (``make notebooks``): a reader sees every table and figure."""
    notebook = json.loads(path.read_text())
    assert notebook["nbformat"] == 4
    counts = []
    for cell in notebook["cells"]:
        assert cell["cell_type"] in ("markdown", "code")
        if cell["cell_type"] == "code":
            counts.append(cell["execution_count"])
            assert all(out["output_type"] != "error" for out in cell["outputs"])
    assert counts == list(range(1, len(counts) + 1)), "run `make notebooks` before committing"
    images = [
        out
        for cell in notebook["cells"]
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    assert images, "the notebook's figures are stored"
    kinds = [cell["cell_type"] for cell in notebook["cells"]]
    assert kinds[0] == "markdown", "start with a title and what the notebook shows"
    assert kinds.count("markdown") >= kinds.count("code") / 2, "explain the steps in prose"
