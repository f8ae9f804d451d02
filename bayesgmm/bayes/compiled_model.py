"""The Bayesian mixture as compiled, shape-generic code sampled by nutpie.

:func:`bayesgmm.bayes.build_model` is the specification of the model (PyMC). This
module evaluates the same log-density and gradient with the Numba kernels of
:mod:`bayesgmm.bayes.logp_kernels`, which take K, D, N, the covariance structure and the
missingness patterns as data. They are compiled once per machine (cached by
:mod:`bayesgmm.bayes.cache`), so fitting a new data shape, a new K or a new
covariance type compiles nothing.

:class:`CompiledMixture` holds one model's data in the kernels' layout and gives
``logp_and_grad`` (the function NUTS calls), the unconstrained point of an EM
solution, the nutpie model, and the posterior dataset of sampled points with the
variable names and dimensions of the PyMC model.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numba
import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray
from nutpie import _lib as nutpie_lib
from nutpie.sample import CompiledModel
from scipy.special import gammaln

from bayesgmm.bayes import cache as kernel_cache
from bayesgmm.bayes import kernels
from bayesgmm.bayes.spec import Priors
from bayesgmm.bayes.uniform_noise import check_hypervolume, log_noise_density_std
from bayesgmm.core.numerics import LOG_2PI
from bayesgmm.covariance import get_covariance_model
from bayesgmm.em.missing import group_by_pattern

__all__ = [
    "CompiledMixture",
    "NutpieModel",
    "compile_kernels",
    "spiral_indices",
]


_f8 = numba.float64
_CONSTRAIN_SIG = numba.types.Tuple(
    (_f8[:, ::1], _f8[:, :, ::1], _f8[:, ::1], _f8[:, :, :, ::1], _f8[:, :, :, ::1])
)(
    _f8[:, ::1],
    numba.int64,
    numba.int64,
    numba.int64,
    numba.boolean,
    _f8[::1],
    _f8[::1],
    _f8[::1],
    numba.boolean,
)
_PACKED_SIG = _f8(_f8[::1], _f8[::1], _f8[::1])
_DOUBLE_P = numba.types.CPointer(_f8)
#: the C signatures nutpie calls (the user-data pointer is the packed buffer)
_LOGP_C_SIG = numba.int64(numba.uint64, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P)
_EXPAND_C_SIG = numba.int64(numba.uint64, numba.uint64, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P)


def _cfunc_builder(function, signature):
    def build(use_cache: bool):
        compiled = numba.cfunc(signature, cache=use_cache)(function)
        return compiled, compiled.cache_hits > 0

    return build


def _jit_builder(dispatcher, signature):
    def build(use_cache: bool):
        if not use_cache:
            dispatcher._cache.disable()  # numba's own switch
        dispatcher.compile(signature)
        return dispatcher, sum(dispatcher.stats.cache_hits.values()) > 0

    return build


@cache
def compile_kernels() -> tuple[Any, Any]:
    """Compile nutpie's callbacks (or load them from the per-machine cache), once a process.

    Returns
    -------
    (log_density, expand) : numba CFunc
        The C callbacks; their ``address`` is what nutpie calls.

    Examples
    --------
    >>> logp_cfunc, expand_cfunc = compile_kernels()
    >>> logp_cfunc.address > 0
    True
    """
    compile_guarded = kernel_cache.compile_guarded
    logp = compile_guarded(
        _cfunc_builder(kernels.c_log_density, _LOGP_C_SIG), "kernels.c_log_density"
    )
    expand = compile_guarded(_cfunc_builder(kernels.c_expand, _EXPAND_C_SIG), "kernels.c_expand")
    compile_guarded(
        _jit_builder(kernels.constrain_draws, _CONSTRAIN_SIG), "kernels.constrain_draws"
    )
    return logp, expand


@cache
def _compile_packed() -> None:
    """The Python-callable log-density (tests, optimisers); compiled on first use."""
    kernel_cache.compile_guarded(
        _jit_builder(kernels.log_density_packed, _PACKED_SIG), "kernels.log_density_packed"
    )


@cache
def spiral_indices(n_features: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows and columns filled by PyMC's ``CholeskyCorrTransform`` from its vector.

    Entry ``m`` of the unconstrained vector lands at ``(rows[m], cols[m])`` of the
    strictly lower triangle (TensorFlow Probability's "spiral" fill, which PyMC uses).

    Examples
    --------
    >>> rows, cols = spiral_indices(3)
    >>> list(zip(rows.tolist(), cols.tolist()))
    [(2, 1), (2, 0), (1, 0)]
    """
    D = n_features
    M = D * (D - 1) // 2
    rows = np.zeros(M, np.int64)
    cols = np.zeros(M, np.int64)
    if M == 0:
        return rows, cols
    n = D - 1
    x = np.arange(M)
    filled = np.concatenate([x[n:], x[::-1]]).reshape(n, n)
    for r in range(n):
        for c in range(r + 1):
            m = filled[r, c]
            rows[m], cols[m] = r + 1, c
    return rows, cols


def _lkj_log_normalizer(eta: float, n: int) -> float:
    """PyMC's log normalising constant of the LKJ density (``_lkj_normalizing_constant``)."""
    k = np.arange(1, n)
    return float(
        (n - 1) * gammaln(eta + 0.5 * (n - 1))
        - np.sum(0.5 * k * np.log(np.pi) + gammaln(eta + 0.5 * (n - 1 - k)))
    )


def _zerosum_forward(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """PyMC's ``ZeroSumTransform.forward`` over the last axis (``D`` -> ``D - 1`` values)."""
    n = values.shape[-1]
    norm = -values[..., -1:] * math.sqrt(n) / (math.sqrt(n) + n)
    return values[..., :-1] + norm


def _diagonal_scales(
    name: str, sds: NDArray[np.float64], K: int, D: int, shaped: Callable[..., Any]
) -> dict[str, Any]:
    """The free scale variables of a diagonal model's draws (``sds`` of ``constrain``).

    VEI and EVI have ``log_volume_std`` and ``log_shape`` (the logs of the standardised
    variances split into their mean over the features and the zero-sum rest).
    """
    if name == "EII":
        return {"sds_std": shaped(sds[:, 0])}
    if name == "EEI":
        return {"sds_std": shaped(sds, "feature")}
    if name == "diag":
        return {"sds_std": shaped(sds.reshape(-1, K, D), "component", "feature")}
    return _volume_shape(name, 2.0 * np.log(sds.reshape(-1, K, D)), shaped)


#: volume-shape models: (a volume per component, a shape per component)
_VOLUME_SHAPE = {
    "VEI": (True, False), "EVI": (False, True), "VEE": (True, False), "EVV": (False, True),
    "EVE": (False, True), "VVE": (True, True), "EEV": (False, False), "VEV": (True, False),
}  # fmt: skip


def _volume_shape(name: str, log_var: NDArray[np.float64], shaped: Callable[..., Any]):
    """``log_volume_std`` and ``log_shape`` of ``(S, K, D)`` log-variances before normalisation.

    A volume per component and one shape (VEI, VEE, VEV), one volume and a shape per
    component (EVI, EVV, EVE), both per component (VVE) or both shared (EEV): the mean
    over the features and the zero-sum rest (oriented models: log-eigenvalues).
    """
    varying_volume, varying_shape = _VOLUME_SHAPE[name]
    if varying_volume and varying_shape:
        log_volume = log_var.mean(axis=2)
        return {
            "log_volume_std": shaped(log_volume, "component"),
            "log_shape": shaped(log_var - log_volume[:, :, None], "component", "feature"),
        }
    if not varying_volume and not varying_shape:
        log_volume = log_var.mean(axis=(1, 2))
        return {
            "log_volume_std": shaped(log_volume),
            "log_shape": shaped(log_var.mean(axis=1) - log_volume[:, None], "feature"),
        }
    if varying_volume:
        log_volume = log_var.mean(axis=2)
        log_shape = (log_var - log_volume[:, :, None]).mean(axis=1)
        return {
            "log_volume_std": shaped(log_volume, "component"),
            "log_shape": shaped(log_shape, "feature"),
        }
    log_volume = log_var.mean(axis=(1, 2))
    return {
        "log_volume_std": shaped(log_volume),
        "log_shape": shaped(log_var - log_var.mean(axis=2, keepdims=True), "component", "feature"),
    }


@dataclasses.dataclass
class CompiledMixture:
    """One Bayesian mixture model in the compiled kernels' layout.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data in data units; NaN marks missing cells (their rows are marginalised).
    n_components : int
        Number of components.
    covariance_type : str
        Covariance structure.
    priors : Priors
        Prior settings.
    center, scale : ndarray of shape (n_features,)
        The model's standardisation (see :func:`bayesgmm.bayes.build.standardization`).
    ordered_means : bool, default=False
        One feature: the ordered transform on the means.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the rows' log-likelihood terms (``None``: all 1).
    hypervolume : float, default=None
        With a value, the model has the uniform noise component of density
        ``1 / hypervolume`` (data units; see :mod:`bayesgmm.bayes.uniform_noise`) and ``K + 1``
        weights; ``None``: no noise component.
    quadratic : tuple of ndarray, default=None
        ``(center, gradient, hessian)`` in the unconstrained coordinates: adds ``g.d +
        d' H d / 2``, ``d = theta - center``, to the log-density (the Taylor control
        variates of :func:`bayesgmm.bayes.approximate.fit_large`).

    Examples
    --------
    >>> from bayesgmm import load_faithful
    >>> from bayesgmm.bayes.build import standardization
    >>> X = load_faithful().to_numpy()
    >>> model = CompiledMixture(X, 2, "full", Priors(), *standardization(X))
    >>> logp, grad = model.logp_and_grad(np.zeros(model.n_dim))
    >>> grad.shape
    (11,)
    """

    X: NDArray[np.float64]
    n_components: int
    covariance_type: str
    priors: Priors
    center: NDArray[np.float64]
    scale: NDArray[np.float64]
    ordered_means: bool = False
    sample_weight: NDArray[np.float64] | None = None
    hypervolume: float | None = None
    quadratic: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]] | None = None

    def __post_init__(self) -> None:
        X = np.asarray(self.X, dtype=np.float64)
        self.noise = self.hypervolume is not None
        if self.hypervolume is not None:
            self.hypervolume = check_hypervolume(self.hypervolume)
        self.code = kernels.TYPE_CODES[get_covariance_model(self.covariance_type).name]
        n_samples, self.n_features = X.shape
        self.center = np.ascontiguousarray(self.center, dtype=np.float64)
        self.scale = np.ascontiguousarray(self.scale, dtype=np.float64)
        nan_mask = np.isnan(X)
        z = np.where(nan_mask, 0.0, (X - self.center) / self.scale)
        if nan_mask.any():
            patterns = group_by_pattern(X).patterns
            order = np.concatenate([p.rows for p in patterns])
            sizes = [p.rows.size for p in patterns]
            self.observed = np.zeros((len(patterns), self.n_features))
            for i, pattern in enumerate(patterns):
                self.observed[i, pattern.observed] = 1
        else:
            order = np.arange(n_samples)
            sizes = [n_samples]
            self.observed = np.ones((1, self.n_features))
        # rows grouped by pattern, transposed: the kernels read features contiguously
        self.zt = np.ascontiguousarray(z[order].T)
        self.starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.float64)
        log_scale = np.log(self.scale)
        self.pattern_const = np.array(
            [-0.5 * o.sum() * LOG_2PI - log_scale[o > 0].sum() for o in self.observed]
        )
        # the noise's log-density (data units) minus each pattern's Gaussian constant
        self.noise_shift = None
        if self.hypervolume is not None:
            log_noise = log_noise_density_std(
                self.observed.sum(axis=1), self.hypervolume, self.scale
            ) - np.array([log_scale[o > 0].sum() for o in self.observed])
            self.noise_shift = log_noise - self.pattern_const
        self.row_weight = (
            np.ones(n_samples)
            if self.sample_weight is None
            else np.asarray(self.sample_weight, dtype=np.float64)[order]
        )
        rows, cols = spiral_indices(self.n_features)
        self.spiral_rows, self.spiral_cols = rows.astype(np.float64), cols.astype(np.float64)
        self.ratio = np.exp(np.mean(log_scale)) / self.scale
        p = self.priors
        self.prior_values = np.array(
            [
                p.weight_concentration,
                p.mean_scale,
                p.sd_scale,
                p.lkj_eta,
                p.sd_dof,
                p.volume_sd,
                p.shape_sd,
            ],
            dtype=np.float64,
        )
        self.prior_const = self._prior_constant()
        self.n_dim = kernels.n_unconstrained(
            self.code, self.n_components, self.n_features, self.ordered_means, self.noise
        )
        self.buffer = kernels.pack(
            self.zt, self.row_weight, self.starts, self.observed,
            self.pattern_const, self.code, self.n_components, self.ordered_means,
            self.spiral_rows, self.spiral_cols, self.ratio, self.prior_values, self.prior_const,
            self.noise_shift, self.quadratic,
        )  # fmt: skip

    # ------------------------------------------------------------------ density
    def _prior_constant(self) -> float:
        """Constant terms of the priors and transforms (as PyMC's logp includes them)."""
        K, D, p = self.n_components, self.n_features, self.priors
        a = p.weight_concentration
        n_w = K + 1 if self.noise else K  # a Dirichlet over the noise proportion too
        const = float(gammaln(n_w * a) - n_w * gammaln(a) + math.log(n_w))
        n_means = K if self.ordered_means else K * D
        const += n_means * (-0.5 * LOG_2PI - math.log(p.mean_scale))
        name = get_covariance_model(self.covariance_type).name
        if name in _VOLUME_SHAPE:
            # Normal(., volume_sd) log-volumes; ZeroSumNormal(shape_sd) rows of D - 1
            # degrees of freedom (PyMC's constant of the zero-sum normal); the oriented
            # models' Haar prior has no constant in either implementation
            n_vol, n_rows = (K if varying else 1 for varying in _VOLUME_SHAPE[name])
            const += n_vol * (-0.5 * LOG_2PI - math.log(p.volume_sd))
            const += n_rows * (D - 1) * (-0.5 * LOG_2PI - math.log(p.shape_sd))
        else:
            # sd_scale x chi(sd_dof); sd_dof = 1 is the half-normal's 0.5 log(2 / pi) - log s
            const -= int(kernels.n_sds(self.code, K, D)) * (
                (p.sd_dof / 2.0 - 1.0) * math.log(2.0)
                + float(gammaln(p.sd_dof / 2.0))
                + p.sd_dof * math.log(p.sd_scale)
            )
        if D > 1 and self.code in kernels.DENSE_TYPES:
            n_mats = K if self.code in kernels.PER_COMPONENT_CORR_TYPES else 1
            const += n_mats * _lkj_log_normalizer(p.lkj_eta, D)
        return const

    def logp_and_grad(self, theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """Log-density of the model at ``theta`` (unconstrained) and its gradient.

        Examples
        --------
        See :class:`CompiledMixture`.
        """
        theta = np.ascontiguousarray(theta, dtype=np.float64)
        grad = np.empty_like(theta)
        logp = self._call(theta, grad)
        return logp, grad

    def _call(self, theta: NDArray[np.float64], grad: NDArray[np.float64]) -> float:
        _compile_packed()
        return kernels.log_density_packed(theta, grad, self.buffer)

    # ------------------------------------------------------------------ points
    def unconstrain(self, start: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
        """The point of ``theta`` for constrained values (``em_start``'s dictionary).

        With the noise component the weights are ``start["proportions"]`` (the ``K``
        Gaussian weights, then the noise proportion).

        Examples
        --------
        >>> from bayesgmm.bayes.build import standardization
        >>> X = np.array([[0.0], [1.0], [5.0], [6.0]])
        >>> model = CompiledMixture(X, 2, "diag", Priors(), *standardization(X))
        >>> start = {
        ...     "weights": np.array([0.5, 0.5]),
        ...     "means_std": np.array([[-1.0], [1.0]]),
        ...     "sds_std": np.array([[0.5], [0.5]]),
        ... }
        >>> model.unconstrain(start).round(3).tolist()
        [0.0, -1.0, 1.0, -0.693, -0.693]
        """
        log_w = np.log(start["proportions" if self.noise else "weights"])
        parts = [log_w[:-1] - log_w.mean()]
        if self.ordered_means:
            values = np.asarray(start["means_ordered"], dtype=np.float64)
            parts.append(np.concatenate([values[:1], np.log(np.diff(values))]))
        else:
            parts.append(np.ravel(start["means_std"]))
        if "log_volume_std" in start:  # VEI, EVI, VEE, EVV: log-volumes, zero-sum log-shapes
            parts.append(np.ravel(start["log_volume_std"]))
            parts.append(np.ravel(_zerosum_forward(np.asarray(start["log_shape"]))))
        else:
            parts.append(np.log(np.ravel(start["sds_std"])))
        if "orientation" in start and self.n_features > 1:
            parts.append(np.ravel(start["orientation"]))
        if "corr_chol" in start and self.n_features > 1:
            corr = np.asarray(start["corr_chol"], dtype=np.float64)
            corr = corr.reshape(-1, self.n_features, self.n_features)
            diag = np.diagonal(corr, axis1=-2, axis2=-1)
            unnormalised = corr / diag[..., :, None]
            rows, cols = spiral_indices(self.n_features)
            parts.append(np.ravel(unnormalised[:, rows, cols]))
        return np.concatenate(parts).astype(np.float64)

    def constrain(self, thetas: NDArray[np.float64]):
        """Constrained parameters of many points (rows of ``thetas``), standardised units.

        Returns ``weights (S, K)`` (``(S, K + 1)`` with the noise component, the noise
        proportion last), ``means (S, K, D)``, ``sds (S, n_sd)`` (the ``sds_std``
        flattened; VEI and EVI: the ``K * D`` component standard deviations), ``corr_chol
        (S, K or 1, D, D)`` and the covariances' Cholesky factors ``chol (S, K, D, D)``.
        """
        thetas = np.ascontiguousarray(np.atleast_2d(thetas), dtype=np.float64)
        compile_kernels()
        return kernels.constrain_draws(
            thetas, self.code, self.n_components, self.n_features, self.ordered_means,
            self.spiral_rows, self.spiral_cols, self.ratio, self.noise,
        )  # fmt: skip

    # ------------------------------------------------------------------ posterior
    def posterior(self, thetas: NDArray[np.float64], feature_names: Sequence[str]) -> xr.Dataset:
        """Posterior dataset of sampled points ``thetas`` of shape ``(chains, draws, n_dim)``.

        Variables and dimensions are those of the PyMC model (after
        ``BayesianGaussianMixture``'s tidying): ``weights``, ``means_std`` (and
        ``means_ordered``), ``sds_std`` (``log_volume_std`` and ``log_shape`` for VEI,
        EVI, VEE and EVV), ``corr_chol`` (full, tied, VEE and EVV, 2+ features),
        ``means`` and ``covariances`` in data units. With the noise component also
        ``proportions`` (dim ``proportion``: the ``K`` weights, then the noise
        proportion) and ``noise_proportion``; ``weights`` are then the Gaussian
        components' proportions, summing to ``1 - noise_proportion``.
        """
        n_chains, n_draws, _ = thetas.shape
        K, D = self.n_components, self.n_features
        weights, means_std, sds, corr, chol = self.constrain(thetas.reshape(-1, self.n_dim))
        name = get_covariance_model(self.covariance_type).name

        def shaped(values, *inner):
            return (("chain", "draw", *inner), values.reshape(n_chains, n_draws, *values.shape[1:]))

        data: dict[str, Any] = {}
        if self.noise:
            data["proportions"] = shaped(weights, "proportion")
            data["noise_proportion"] = shaped(weights[:, K])
            weights = weights[:, :K]
        data |= {
            "weights": shaped(weights, "component"),
            "means_std": shaped(means_std, "component", "feature"),
            "means": shaped(means_std * self.scale + self.center, "component", "feature"),
        }
        if self.ordered_means:
            data["means_ordered"] = shaped(means_std[:, :, 0], "component")
        outer = self.scale[:, None] * self.scale[None, :]
        if name == "full":
            data["sds_std"] = shaped(sds.reshape(-1, K, D), "component", "feature")
            cov = np.einsum("skij,sklj->skil", chol, chol) * outer
            data["covariances"] = shaped(cov, "component", "feature", "feature_bis")
            if D > 1:
                data["corr_chol"] = shaped(corr, "component", "feature", "feature_bis")
        elif name == "tied":
            data["sds_std"] = shaped(sds, "feature")
            cov = np.einsum("sij,slj->sil", chol[:, 0], chol[:, 0]) * outer
            data["covariances"] = shaped(cov, "feature", "feature_bis")
            if D > 1:
                data["corr_chol"] = shaped(corr[:, 0], "feature", "feature_bis")
        elif name in ("VEE", "EVV"):
            # the log-variances before the unit-determinant normalisation
            log_det = 2.0 * np.log(np.diagonal(corr, axis1=-2, axis2=-1)).sum(axis=-1)
            log_var = 2.0 * np.log(sds.reshape(-1, K, D)) + log_det[:, :, None] / D
            data |= _volume_shape(name, log_var, shaped)
            cov = np.einsum("skij,sklj->skil", chol, chol) * outer
            data["covariances"] = shaped(cov, "component", "feature", "feature_bis")
            if D > 1 and name == "VEE":
                data["corr_chol"] = shaped(corr[:, 0], "feature", "feature_bis")
            elif D > 1:
                data["corr_chol"] = shaped(corr, "component", "feature", "feature_bis")
        elif name in ("EVE", "VVE", "EEV", "VEV"):
            data |= _volume_shape(name, 2.0 * np.log(sds.reshape(-1, K, D)), shaped)
            cov = np.einsum("skij,sklj->skil", chol, chol) * outer
            data["covariances"] = shaped(cov, "component", "feature", "feature_bis")
            if D > 1:
                M = D * (D - 1) // 2
                n_orient = K if name in ("EEV", "VEV") else 1
                values = thetas.reshape(-1, self.n_dim)[:, self.n_dim - n_orient * M :]
                if n_orient == K:
                    data["orientation"] = shaped(values.reshape(-1, K, M), "component", "rotation")
                else:
                    data["orientation"] = shaped(values, "rotation")
        elif name == "spherical":
            data["sds_std"] = shaped(sds, "component")
            mean_scale = float(np.exp(np.mean(np.log(self.scale))))
            data["covariances"] = shaped(np.square(sds * mean_scale), "component")
        else:  # diagonal covariances per component: diag, EII, EEI, VEI, EVI
            data |= _diagonal_scales(name, sds, K, D, shaped)
            variances = np.square(np.diagonal(chol, axis1=-2, axis2=-1) * self.scale)
            data["covariances"] = shaped(variances, "component", "feature")
        coords = {
            "chain": np.arange(n_chains),
            "draw": np.arange(n_draws),
            "component": np.arange(K),
            **({"proportion": np.arange(K + 1)} if self.noise else {}),
            "feature": list(feature_names),
            "feature_bis": list(feature_names),
        }
        if "orientation" in data:
            coords["rotation"] = np.arange(D * (D - 1) // 2)
        return xr.Dataset(data, coords=coords)


@dataclasses.dataclass(frozen=True)
class NutpieModel(CompiledModel):
    """A :class:`CompiledMixture` as a model nutpie samples (``nutpie.sample(model)``).

    nutpie's threads call the compiled C callbacks on the mixture's packed buffer;
    draws are the unconstrained points (``theta``), turned into parameters by
    :meth:`CompiledMixture.posterior`.

    Parameters
    ----------
    mixture : CompiledMixture
        The model.
    initial_point_func : callable
        ``seed -> theta`` starting point of a chain.
    """

    mixture: CompiledMixture = dataclasses.field(kw_only=True)
    initial_point_func: Callable[[int], NDArray[np.float64]] = dataclasses.field(kw_only=True)

    @property
    def n_dim(self) -> int:
        """Length of the unconstrained point."""
        return self.mixture.n_dim

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of the stored draws (the unconstrained point)."""
        return {"theta": (self.mixture.n_dim,)}

    @property
    def coords(self) -> dict[str, Any]:
        """No coordinates: draws are turned into labelled parameters afterwards."""
        return {}

    def _make_sampler(self, settings, init_mean, cores, progress_type, extra_callback,
                      extra_callback_rate, store):  # fmt: skip
        model = self._make_model(init_mean)
        return nutpie_lib.PySampler.from_pymc(
            settings, cores, model, progress_type, extra_callback, extra_callback_rate, store
        )

    def _make_model(self, init_mean):
        logp_cfunc, expand_cfunc = compile_kernels()
        n_dim, address = self.mixture.n_dim, self.mixture.buffer.ctypes.data
        # the last argument keeps this object (and so the buffer) alive in nutpie
        expand = nutpie_lib.ExpandFunc(n_dim, n_dim, expand_cfunc.address, address, self)
        logp = nutpie_lib.LogpFunc(logp_cfunc.address, address, self)
        sizes, dims = {"unconstrained": n_dim}, {"theta": ("unconstrained",)}
        coords = {"unconstrained": pd.Index(np.arange(n_dim))}
        variables = nutpie_lib.PyVariable.new_variables(
            ["theta"], ["float64"], [(n_dim,)], sizes, dims
        )

        def no_transform_adapter(*args, **kwargs):
            raise NotImplementedError("bayesgmm models use nutpie's mass-matrix adaptation.")

        return nutpie_lib.PyMcModel(
            logp,
            expand,
            variables,
            n_dim,
            sizes,
            coords,
            self.initial_point_func,
            no_transform_adapter,
        )
