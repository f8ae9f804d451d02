"""Exp, log and log-sum-exp over blocks of rows, in loops LLVM vectorises (Numba).

The likelihood pass of :mod:`bayesgmm.bayes.logp_kernels` evaluates one ``exp`` per
row and component and one ``log`` per row; libm's are scalar calls. These are
polynomial versions accurate to about one unit in the last place, written so that
the loops over the rows of a block vectorise.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# installs bayesgmm's cache locator before any cached function is compiled
import bayesgmm.bayes.cache  # noqa: F401

__all__ = ["log_block", "normalise_block"]

#: reassociation lets LLVM vectorise the sums over rows
_jit_fast = numba.njit(nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})

#: Cody-Waite split of log(2) and the Taylor coefficients 1/j! of exp on |r| <= log(2)/2
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238
_LN2_LO = 1.9082149292705877e-10
#: below this exp(x) underflows to a subnormal: returned as 0 (a responsibility of 0)
_EXP_MIN = -708.0


@_jit_fast
def _exp_row(x, k, nb, bits):
    """``x[k, :nb] = exp(x[k, :nb])`` in place for ``x <= 0``, in loops LLVM vectorises.

    libm's ``exp`` is a scalar call, and the likelihood pass evaluates one per row
    and component; this one is a Cody-Waite range reduction, a degree-13 Taylor
    polynomial (relative error < 1e-16 on ``|r| <= log(2)/2``) and ``2**n`` built in
    the exponent bits (``bits``: an int64 scratch of at least ``nb``, viewed as
    float64). Values below ``exp(-708)`` become 0.
    """
    scale = bits.view(np.float64)
    for i in range(nb):
        u = x[k, i]
        v = max(u, _EXP_MIN)
        n = math.floor(v * _LOG2E + 0.5)
        r = (v - n * _LN2_HI) - n * _LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        x[k, i] = p
        bits[i] = (np.int64(n) + 1023) << 52 if u >= _EXP_MIN else 0  # 0: float 0.0
    for i in range(nb):
        x[k, i] *= scale[i]


#: log(2) and the mantissa bits of a float64
_LN2 = 0.6931471805599453
_MANTISSA = (1 << 52) - 1
_EXPONENT_ONE = 1023 << 52


@_jit_fast
def log_block(x, nb, bits, out):
    """``out[:nb] = log(x[:nb])`` for positive normal ``x``, in loops LLVM vectorises.

    ``x = m 2**e`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` read from the bits
    (``bits``: an int64 scratch of at least ``nb`` viewed as float64), and
    ``log(m) = 2 atanh(s)``, ``s = (m - 1) / (m + 1)``, from its series to ``s**23``
    (``|s| < 0.172``: relative error < 1e-16).
    """
    mantissa = bits.view(np.float64)
    for i in range(nb):
        mantissa[i] = x[i]
    for i in range(nb):
        word = bits[i]
        e = (word >> 52) - 1023
        bits[i] = (word & _MANTISSA) | _EXPONENT_ONE
        out[i] = e
    for i in range(nb):
        m = mantissa[i]
        e = out[i]
        if m > 1.4142135623730951:
            m *= 0.5
            e += 1.0
        t = (m - 1.0) / (m + 1.0)
        t2 = t * t
        q = 1.0 / 23.0
        q = q * t2 + 1.0 / 21.0
        q = q * t2 + 1.0 / 19.0
        q = q * t2 + 1.0 / 17.0
        q = q * t2 + 1.0 / 15.0
        q = q * t2 + 1.0 / 13.0
        q = q * t2 + 1.0 / 11.0
        q = q * t2 + 1.0 / 9.0
        q = q * t2 + 1.0 / 7.0
        q = q * t2 + 1.0 / 5.0
        q = q * t2 + 1.0 / 3.0
        q = q * t2 + 1.0
        out[i] = e * _LN2 + 2.0 * t * q


@_jit_fast
def normalise_block(lp, K, nb, top, acc, bits):
    """Columns ``:nb`` of log-probabilities ``lp`` -> ``exp(lp - max)`` in place.

    Writes each column's maximum into ``top`` and its sum of exponentials into
    ``acc`` (so its log-sum-exp is ``top + log(acc)``): the kernels' one
    log-sum-exp, over a block of rows at once.
    """
    for i in range(nb):
        top[i] = lp[0, i]
        acc[i] = 0.0
    for k in range(1, K):
        for i in range(nb):
            top[i] = max(top[i], lp[k, i])
    for k in range(K):
        for i in range(nb):
            lp[k, i] -= top[i]
        _exp_row(lp, k, nb, bits)
        for i in range(nb):
            acc[i] += lp[k, i]
