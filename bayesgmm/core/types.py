"""Type aliases shared across bayesgmm."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ArrayLike",
    "CovarianceType",
    "FloatArray",
    "InitParams",
    "MissingOption",
    "RandomStateLike",
]

CovarianceType = Literal["full", "tied", "diag", "spherical"]
InitParams = Literal["kmeans", "k-means++", "random", "random_from_data", "hierarchical"]
MissingOption = Literal["error", "marginalize"]
FloatArray = NDArray[np.float64]
RandomStateLike = int | np.random.Generator | np.random.RandomState | None
