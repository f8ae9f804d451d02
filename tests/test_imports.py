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


def test_every_exported_name_resolves():
    for name in bayesgmm.__all__:
        assert getattr(bayesgmm, name) is not None, name
    assert bayesgmm.Priors is __import__("bayesgmm.bayes.spec", fromlist=["Priors"]).Priors
