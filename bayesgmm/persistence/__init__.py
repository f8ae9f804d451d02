"""Saving and loading fitted estimators: versioned files, written atomically.

- :mod:`~bayesgmm.persistence.format`: the one file format version and the checks
  and errors every reader shares;
- :mod:`~bayesgmm.persistence.em_files`: :class:`~bayesgmm.GaussianMixture` models as
  ``.npz`` archives (no pickle) or JSON;
- :mod:`~bayesgmm.persistence.posterior_files`:
  :class:`~bayesgmm.BayesianGaussianMixture` posteriors as checksummed netCDF-4
  (imported on use: it needs xarray).

Writes are atomic (:func:`atomic_write`): the file is written to a temporary file in
the destination's directory, flushed to disk (``fsync``) and renamed over the
destination (:func:`os.replace`), so a reader, or a crash at any moment, sees the old
file or the new one, whole.
"""

from bayesgmm.core.atomic_io import atomic_write, write_bytes_atomic
from bayesgmm.persistence.em_files import load_gaussian_mixture, save_gaussian_mixture
from bayesgmm.persistence.format import FORMAT_VERSION

__all__ = [
    "FORMAT_VERSION",
    "atomic_write",
    "load_gaussian_mixture",
    "save_gaussian_mixture",
    "write_bytes_atomic",
]
