"""What importing bayesgmm costs: no PyMC for EM-only work, every public name resolves."""

from __future__ import annotations

import subprocess
import sys

import bayesgmm


def test_em_only_work_does_not_import_pymc():
    code = (
        "import sys, bayesgmm\n"
        "bayesgmm.GaussianMixture(2, random_state=0).fit(bayesgmm.load_faithful())\n"
        "from bayesgmm.bayes.spec import Priors\n"
        "bayesgmm.Priors(); bayesgmm.select_model(bayesgmm.load_faithful(), [1, 2], n_init=1)\n"
        "assert 'pymc' not in sys.modules and 'pytensor' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_first_fit_of_scikit_learns_structures_does_not_wait_for_numba():
    # Numba's import and the compiled loop's load take ~0.4 s: a first fit in a fresh
    # process stays in NumPy; model grids load the compiled loop once
    code = (
        "import sys, bayesgmm\n"
        "X = bayesgmm.load_faithful()\n"
        "for cov in ('full', 'tied', 'diag', 'spherical'):\n"
        "    bayesgmm.GaussianMixture(3, covariance_type=cov, random_state=0).fit(X)\n"
        "assert 'numba' not in sys.modules, 'numba imported by a single fit'\n"
        "bayesgmm.select_model(X, [1, 2, 3])\n"
        "assert 'bayesgmm.em.compiled_loop' in sys.modules, 'grid without the compiled loop'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_exported_name_resolves():
    for name in bayesgmm.__all__:
        assert getattr(bayesgmm, name) is not None, name
    assert bayesgmm.Priors is __import__("bayesgmm.bayes.spec", fromlist=["Priors"]).Priors
