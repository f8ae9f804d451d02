"""scikit-learn's own GaussianMixture tests, run against bayesgmm's estimator.

The installed scikit-learn's ``sklearn/mixture/tests/test_gaussian_mixture.py`` is
collected in a subprocess (with its float32 variants, ``SKLEARN_RUN_FLOAT32_TESTS=1``)
and its ``GaussianMixture`` replaced by ours (``tests/sklearn_suite_plugin.py``, which
lists what is deselected and why, and what is expected to fail today).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn.mixture.tests.test_gaussian_mixture")


def test_scikit_learns_gaussian_mixture_tests_pass_on_ours(tmp_path):
    env = {**os.environ, "SKLEARN_RUN_FLOAT32_TESTS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--pyargs",
            "sklearn.mixture.tests.test_gaussian_mixture", "-p", "sklearn_suite_plugin",
            "-q", "-p", "no:cacheprovider", "-rfX", "-W", "ignore", "--no-header",
        ],
        capture_output=True, text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert counts.get("failed", 0) == 0
    assert counts.get("xpassed", 0) == 0
    # every test of the module is accounted for: passed, expected to fail, or deselected
    assert counts["passed"] >= 54, summary
