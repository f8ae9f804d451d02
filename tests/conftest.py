"""Shared fixtures of the bayesgmm test suite."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from bayesgmm import COVARIANCE_TYPES


@pytest.fixture(scope="session", autouse=True)
def _single_threaded_blas():
    """Run BLAS on one thread: the data are small, and oversubscribing a busy
    machine makes matrix products (sklearn's above all) 10-30x slower."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(params=COVARIANCE_TYPES, ids=lambda name: f"cov={name}")
def covariance_type(request) -> str:
    """Each of the four covariance structures."""
    return request.param


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, fresh for every test."""
    return np.random.default_rng(12345)
