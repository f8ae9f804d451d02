"""The shared compiled kernels against NumPy, and the cache stamp over kernel sources."""

from __future__ import annotations

import numpy as np
import pytest

from bayesgmm.core.numba_cache import kernel_sources_digest
from bayesgmm.core.numba_kernels import centre, cholesky, lower_inverse, whitened_log_density


@pytest.mark.parametrize("d", [1, 3, 7])
def test_kernels_equal_numpys_factor_inverse_and_log_density(d):
    rng = np.random.default_rng(d)
    root = rng.normal(size=(d, d))
    cov = root @ root.T + d * np.eye(d)
    lower, inverse = np.empty((d, d)), np.empty((d, d))
    assert cholesky(cov, np.zeros(d), lower)
    np.testing.assert_allclose(lower, np.linalg.cholesky(cov), rtol=1e-13, atol=1e-13)
    lower_inverse(lower, inverse)
    np.testing.assert_allclose(inverse, np.linalg.inv(lower), rtol=1e-12, atol=1e-13)
    X = rng.normal(size=(50, d))
    mean = rng.normal(size=d)
    centred, out, work = np.empty((d, 50)), np.empty(50), np.empty(50)
    centre(np.ascontiguousarray(X.T), mean, centred)
    const = -np.log(np.diag(lower)).sum() - 0.5 * d * np.log(2 * np.pi)
    whitened_log_density(centred, inverse, const, out, work)
    diff = X - mean
    expected = const - 0.5 * np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_cholesky_refuses_a_pivot_at_or_below_zero_or_below_the_floor():
    out = np.empty((2, 2))
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert not cholesky(singular, np.zeros(2), out)  # pivot 0: not above 0
    assert not cholesky(np.array([[1.0, np.nan], [np.nan, 1.0]]), np.zeros(2), out)
    assert cholesky(np.eye(2), np.full(2, 0.5), out)
    assert not cholesky(np.eye(2), np.full(2, 2.0), out)


def test_the_cache_stamp_follows_every_kernel_source_and_nothing_else(tmp_path):
    (tmp_path / "sub").mkdir()
    kernel = tmp_path / "sub" / "kernel.py"
    kernel.write_text("import numba\n")
    plain = tmp_path / "plain.py"
    plain.write_text("x = 1\n")
    before = kernel_sources_digest(tmp_path)
    plain.write_text("x = 2\n")  # no Numba in it: not part of the stamp
    assert kernel_sources_digest(tmp_path) == before
    kernel.write_text("import numba\n# a callee changed\n")
    assert kernel_sources_digest(tmp_path) != before
    assert len(kernel_sources_digest()) == 64  # the installed package's stamp
