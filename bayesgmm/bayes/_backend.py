"""PyTensor settings for bayesgmm's PyMC models, applied once at import.

PyTensor looks for a BLAS to link its C operations against the first time one
needs it: it compiles and links test programs (seconds) and, with a pip-installed
stack, finds none and warns that BLAS operations "will be severely degraded".
NumPy's wheels bundle OpenBLAS under prefixed symbol names (``scipy_dgemm_``...),
which PyTensor's C code cannot link, so the search ends with empty flags anyway
and PyTensor computes those products through NumPy (its OpenBLAS). The sampler
bayesgmm uses by default does not run PyTensor at all (compiled kernels,
:mod:`bayesgmm.bayes.logp_kernels`). So unless the user configured
``blas__ldflags`` (``PYTENSOR_FLAGS`` or a ``.pytensorrc``), the flags are set to
empty up front: the same behaviour, without the search and the warning.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytensor

__all__ = ["blas_configured_by_user"]


def blas_configured_by_user() -> bool:
    """Whether ``blas__ldflags`` was set through PyTensor's flags or rc file.

    Examples
    --------
    >>> isinstance(blas_configured_by_user(), bool)
    True
    """
    if "blas__ldflags" in os.environ.get("PYTENSOR_FLAGS", ""):
        return True
    rc_files = os.environ.get("PYTENSORRC", str(Path.home() / ".pytensorrc"))
    for name in rc_files.split(os.pathsep):
        path = Path(name).expanduser()
        if path.is_file() and "ldflags" in path.read_text(errors="replace"):
            return True
    return False


if not blas_configured_by_user():
    pytensor.config.blas__ldflags = ""
