r"""Priors of a mixture of finite mixtures, stated the published way.

A mixture of finite mixtures (MFM) puts a prior on the number of components ``K`` and,
given ``K``, the usual finite-mixture priors:

.. math::

    K \sim p(K), \quad \eta \mid K \sim \mathrm{Dir}(\gamma_K, \dots, \gamma_K), \quad
    \mu_k \sim N(b_0, B_0), \quad \Sigma_k^{-1} \sim W(c_0, C_0), \quad
    C_0 \sim W(g_0, G_0),

with Wisharts in Frühwirth-Schnatter's parametrisation (density proportional to
:math:`|W|^{c - (r+1)/2} e^{-\mathrm{tr}(C W)}`; in one dimension the precision is
:math:`\mathrm{Gamma}(c_0, \text{rate } C_0)` and :math:`C_0 \sim \mathrm{Gamma}(g_0,
\text{rate } G_0)`). The Dirichlet parameter is *static* (:math:`\gamma_K = \gamma`)
or *dynamic* (:math:`\gamma_K = \alpha / K`, :math:`\alpha` fixed or
:math:`\alpha \sim F(\nu_l, \nu_r)`).

Named priors (:meth:`MFMPriors.named`), each overridable field by field:

``"richardson_green"``
    Richardson & Green (1997, JRSS B 59, 731-792), one feature: ``K`` uniform on
    1..k_max, :math:`\delta = \gamma = 1`, :math:`\mu_k \sim N(\xi, \kappa^{-1})` with
    :math:`\xi` the midrange and :math:`\kappa = 1/R^2` (``R`` the data range),
    :math:`\sigma_k^{-2} \sim \mathrm{Gamma}(\alpha = 2, \beta)`,
    :math:`\beta \sim \mathrm{Gamma}(g = 0.2, h = 10/R^2)`. In the notation above:
    ``b0`` = midrange, ``B0`` = R², ``c0`` = 2, ``g0`` = 0.2, ``G0`` = 10/R².
``"telescope"``
    The defaults of the telescoping sampler (Frühwirth-Schnatter, Malsiner-Walli &
    Grün 2021, *Bayesian Analysis* 16, 1279-1307) for any number of features ``r``:
    :math:`K - 1 \sim \mathrm{BNB}(1, 4, 3)`, dynamic :math:`\gamma_K = \alpha / K`
    with :math:`\alpha \sim F(6, 3)`, and the component priors of Malsiner-Walli,
    Frühwirth-Schnatter & Grün (2016, *Statistics and Computing* 26, 303-324):
    ``b0`` = midrange, ``B0`` = diag(R²), ``c0`` = 2.5 + (r - 1)/2, ``g0`` = 0.5 +
    (r - 1)/2, ``G0`` = 100 g0 / c0 diag(1/R²) (``R`` the per-feature ranges).

Diagonal and spherical components (``covariance_type="diag"`` or ``"spherical"``;
mclust's ``VVI`` and ``VII``) take the Gamma analogues of the Wishart priors:

.. math::

    \text{diag: } \Sigma_k = \mathrm{diag}(1/p_{k1}, \dots, 1/p_{kr}), \quad
    p_{kj} \sim \mathrm{Gamma}(c_0, C_{0,jj}), \quad
    C_{0,jj} \sim \mathrm{Gamma}(g_0, G_{0,jj});

    \text{spherical: } \Sigma_k = I / p_k, \quad p_k \sim \mathrm{Gamma}(c_0, C_0),
    \quad C_0 \sim \mathrm{Gamma}(g_0, G_0),

with defaults ``c0`` = 2.5, ``g0`` = 0.5 and ``G0`` = 100 g0 / c0 / R² per feature
(spherical: over the mean of the R²): the one-feature telescope priors per
coordinate, and the marginal prior of each variance under the Wishart default
(an inverse Gamma with shape ``c0 - (r - 1)/2`` = 2.5). With one feature the three
structures are the same model with the same priors (Richardson & Green's too).

Defaults that depend on the data (``b0``, ``B0``, ``G0``, ``C0``) are left ``None`` in
:class:`MFMPriors` and filled by :meth:`MFMPriors.resolve`, as scikit-learn keeps a
user's ``mean_prior`` untouched and stores the resolved ``mean_prior_``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from bayesgmm.core.validation import check_number, is_real

__all__ = [
    "PRIOR_NAMES",
    "STRUCTURES",
    "MFMPriors",
    "ResolvedPriors",
    "check_covariance_type",
    "k_prior_log_pmf",
    "nearest_structure",
]

#: the named priors of :meth:`MFMPriors.named`
PRIOR_NAMES = ("richardson_green", "telescope")
#: the component covariance structures of the posterior over K (codes 0, 1, 2 in the sampler)
STRUCTURES = ("full", "diag", "spherical")
#: mclust's names of the same structures (volume, shape and orientation all free)
MCLUST_STRUCTURES = {"VVV": "full", "VVI": "diag", "VII": "spherical"}
_K_PRIOR_KINDS = ("uniform", "bnb", "poisson", "geometric")


def k_prior_log_pmf(k_prior: Any, k_max: int) -> NDArray[np.float64]:
    """Log-probabilities of ``K = 1..k_max`` under a prior on the number of components.

    Parameters
    ----------
    k_prior : str, tuple or array-like
        ``"uniform"`` (on 1..k_max); ``("bnb", a_lambda, a_pi, b_pi)``: ``K - 1``
        beta-negative-binomial (Frühwirth-Schnatter et al. 2021); ``("poisson",
        lam)``: ``K - 1`` Poisson (Nobile 2004; Miller & Harrison 2018);
        ``("geometric", p)``: ``K - 1`` geometric with success probability ``p``; or
        the ``k_max`` probabilities of ``K = 1..k_max`` themselves.
    k_max : int
        Largest ``K``: the prior is truncated there and renormalised.

    Returns
    -------
    ndarray of shape (k_max,)

    Raises
    ------
    ValueError
        For an unknown kind, bad parameters or probabilities.

    Examples
    --------
    >>> np.exp(k_prior_log_pmf("uniform", 4)).tolist()
    [0.25, 0.25, 0.25, 0.25]
    >>> round(float(np.exp(k_prior_log_pmf(("bnb", 1, 4, 3), 100))[0]), 4)
    0.5714
    """
    j = np.arange(k_max, dtype=float)  # K - 1
    if isinstance(k_prior, str):
        k_prior = (k_prior,)
    if isinstance(k_prior, tuple) and k_prior and isinstance(k_prior[0], str):
        kind, params = k_prior[0], k_prior[1:]
        expected = {"uniform": 0, "bnb": 3, "poisson": 1, "geometric": 1}
        if kind not in expected:
            raise ValueError(
                f"k_prior must be one of {_K_PRIOR_KINDS} (with parameters), or the "
                f"probabilities of K = 1..k_max; got {kind!r}."
            )
        if len(params) != expected[kind] or not all(
            is_real(p) and math.isfinite(p) and p > 0 for p in params
        ):
            raise ValueError(
                f"k_prior {kind!r} takes {expected[kind]} positive number(s): "
                "('bnb', a_lambda, a_pi, b_pi), ('poisson', lam), ('geometric', p); "
                f"got {k_prior!r}."
            )
        if kind == "uniform":
            log_pmf = np.zeros(k_max)
        elif kind == "bnb":
            a_l, a_p, b_p = (float(p) for p in params)
            log_pmf = (
                special.gammaln(a_l + j)
                - special.gammaln(a_l)
                - special.gammaln(j + 1)
                + special.betaln(a_l + a_p, j + b_p)
                - special.betaln(a_p, b_p)
            )
        elif kind == "poisson":
            lam = float(params[0])
            log_pmf = j * math.log(lam) - lam - special.gammaln(j + 1)
        else:
            p = float(params[0])
            if p >= 1:
                raise ValueError(f"k_prior ('geometric', p) needs 0 < p < 1; got {p!r}.")
            log_pmf = math.log(p) + j * math.log1p(-p)
    else:
        probs = np.asarray(k_prior, dtype=float)
        if probs.shape != (k_max,) or not np.all(np.isfinite(probs)) or np.any(probs < 0):
            raise ValueError(
                f"k_prior given as probabilities must hold {k_max} (= k_max) non-negative "
                f"numbers, for K = 1..{k_max}; got shape {probs.shape}."
            )
        if probs.sum() <= 0:
            raise ValueError("k_prior probabilities must not all be zero.")
        with np.errstate(divide="ignore"):
            log_pmf = np.log(probs)
    return log_pmf - special.logsumexp(log_pmf)


def check_covariance_type(covariance_type: Any) -> str:
    """``"full"``, ``"diag"`` or ``"spherical"`` from a scikit-learn or mclust name.

    Parameters
    ----------
    covariance_type : str
        ``"full"``/``"VVV"``, ``"diag"``/``"VVI"`` or ``"spherical"``/``"VII"``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For any other structure (e.g. ``"tied"``: components sharing parameters are
        not a mixture of finite mixtures' independent components).

    Examples
    --------
    >>> check_covariance_type("VVI")
    'diag'
    """
    if isinstance(covariance_type, str):
        name = MCLUST_STRUCTURES.get(covariance_type, covariance_type)
        if name in STRUCTURES:
            return name
    raise ValueError(
        f"covariance_type {covariance_type!r} is not available for the posterior over K, "
        "whose components have independent priors; use 'full' (mclust 'VVV'), 'diag' "
        "('VVI') or 'spherical' ('VII')."
    )


def nearest_structure(covariance_type: Any) -> str:
    """The structure of the posterior over K closest to a model grid's ``covariance_type``.

    ``"full"``/``"VVV"``, ``"diag"``/``"VVI"`` and ``"spherical"``/``"VII"`` map to
    themselves; any other (tied, mclust's constrained ``"EEV"``, ...) to ``"full"``,
    the most general.

    Parameters
    ----------
    covariance_type : str

    Returns
    -------
    str

    Examples
    --------
    >>> nearest_structure("VII"), nearest_structure("EEV")
    ('spherical', 'full')
    """
    try:
        return check_covariance_type(covariance_type)
    except ValueError:
        return "full"


def _k_prior_name(k_prior: Any) -> str:
    """``"uniform"``, ``"BNB(1, 4, 3)"``, ``"Poisson(3)"``, ``"Geometric(0.3)"`` or ``""``."""
    spec = (k_prior,) if isinstance(k_prior, str) else k_prior
    if not (isinstance(spec, tuple) and spec and isinstance(spec[0], str)):
        return ""
    names = {"uniform": "uniform", "bnb": "BNB", "poisson": "Poisson", "geometric": "Geometric"}
    if spec[0] == "uniform":
        return "uniform"
    return f"{names[spec[0]]}({', '.join(f'{float(p):g}' for p in spec[1:])})"


def _unbounded(k_prior: Any) -> bool:
    """Whether a ``k_prior`` of :func:`k_prior_log_pmf` has support beyond any k_max."""
    kind = k_prior if isinstance(k_prior, str) else k_prior[0] if isinstance(k_prior, tuple) else ""
    return kind in ("bnb", "poisson", "geometric")


def _positive(name: str, value: Any, minimum: float = 0.0) -> float:
    return check_number(name, value, lambda v: v > minimum, f"a number > {minimum:g}")


def _matrix(name: str, value: Any, n_features: int) -> NDArray[np.float64]:
    """A scalar, a vector (diagonal) or a matrix as a symmetric positive definite matrix."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        array = np.full(n_features, float(array))
    if array.ndim == 1:
        if array.shape != (n_features,):
            raise ValueError(
                f"{name} must be a number, {n_features} diagonal values or a "
                f"{n_features} x {n_features} matrix; got shape {array.shape}."
            )
        array = np.diag(array)
    if array.shape != (n_features, n_features) or not np.all(np.isfinite(array)):
        raise ValueError(
            f"{name} must be a finite {n_features} x {n_features} matrix; got shape {array.shape}."
        )
    if not np.allclose(array, array.T) or np.linalg.eigvalsh(array).min() <= 0:
        raise ValueError(f"{name} must be symmetric positive definite.")
    return array


def _structured(name: str, value: Any, n_features: int, structure: str) -> NDArray[np.float64]:
    """:func:`_matrix`, diagonal for ``diag`` and a multiple of I for ``spherical``."""
    array = _matrix(name, value, n_features)
    off_diagonal = array - np.diag(np.diag(array))
    if structure != "full" and np.any(off_diagonal != 0):
        raise ValueError(
            f"{name} must be diagonal for covariance_type {structure!r} (a number or "
            f"{n_features} values); got off-diagonal entries."
        )
    if structure == "spherical" and np.ptp(np.diag(array)) > 0:
        raise ValueError(
            f"{name} must be one number for covariance_type 'spherical'; got the "
            f"diagonal {np.diag(array).tolist()}."
        )
    return array


@dataclass(frozen=True)
class ResolvedPriors:
    """An :class:`MFMPriors` with every data-dependent default filled in (numbers only).

    Attributes
    ----------
    name : str
    k_max : int
    log_prior_k : ndarray of shape (k_max,)
        ``log p(K = k)``, k = 1..k_max.
    k_prior_name : str
        The prior on ``K`` in words (``"uniform"``, ``"BNB(1, 4, 3)"``,
        ``"Poisson(3)"``, ...; empty for given probabilities).
    truncated : bool
        The prior on ``K`` has unbounded support (``"bnb"``, ``"poisson"``,
        ``"geometric"``) and was cut at ``k_max``.
    dynamic : bool
        ``gamma_K = alpha / K`` (else ``gamma``).
    gamma : float
    alpha : float or None
        Fixed ``alpha`` (dynamic), ``None`` when it has the F prior ``alpha_prior``.
    alpha_prior : tuple of float
    b0 : ndarray of shape (r,)
    B0 : ndarray of shape (r, r)
    c0, g0 : float
        ``g0 = 0`` means ``C0`` is fixed at :attr:`C0`.
    G0, C0 : ndarray of shape (r, r)
        ``C0`` is the fixed value (``g0 = 0``) or the start (its prior mean); diagonal
        for ``diag``, a multiple of the identity for ``spherical``.
    covariance_type : {"full", "diag", "spherical"}
        The components' covariance structure, which the precisions' prior follows.
    """

    name: str
    k_max: int
    log_prior_k: NDArray[np.float64]
    k_prior_name: str
    truncated: bool
    dynamic: bool
    gamma: float
    alpha: float | None
    alpha_prior: tuple[float, float]
    b0: NDArray[np.float64]
    B0: NDArray[np.float64]
    c0: float
    g0: float
    G0: NDArray[np.float64]
    C0: NDArray[np.float64]
    covariance_type: str = "full"

    def describe(self) -> str:
        """The priors in one line of words and symbols.

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np
        >>> resolved = MFMPriors.named("richardson_green").resolve(np.array([[0.0], [2.0]]), 30)
        >>> resolved.describe()[:46]
        'richardson_green: K ~ uniform on 1..30; eta | '
        """
        k_text = self._k_text()
        weights = (
            f"Dir(alpha/K), alpha ~ F({self.alpha_prior[0]:g}, {self.alpha_prior[1]:g})"
            if self.dynamic and self.alpha is None
            else f"Dir({self.alpha:g}/K)"
            if self.dynamic
            else f"Dir({self.gamma:g})"
        )
        r = len(self.b0)
        one = r == 1
        mean = f"N({self.b0[0]:.4g}, {self.B0[0, 0]:.4g})" if one else "N(b0, B0)"
        if one:
            precision = f"Sigma_k^-1 ~ Gamma({self.c0:g}, C0)"
            hyper = f"C0 ~ Gamma({self.g0:g}, {self.G0[0, 0]:.4g})"
        elif self.covariance_type == "diag":
            precision = f"Sigma_k = diag(1/p_kj), p_kj ~ Gamma({self.c0:g}, C0_j)"
            hyper = f"C0_j ~ Gamma({self.g0:g}, G0_j)"
        elif self.covariance_type == "spherical":
            precision = f"Sigma_k = I/p_k, p_k ~ Gamma({self.c0:g}, C0)"
            hyper = f"C0 ~ Gamma({self.g0:g}, {self.G0[0, 0]:.4g})"
        else:
            precision = f"Sigma_k^-1 ~ W({self.c0:g}, C0)"
            hyper = f"C0 ~ W({self.g0:g}, G0)"
        if self.g0 <= 0:
            hyper = "C0 fixed"
        return f"{self.name}: {k_text}; eta | K ~ {weights}; mu_k ~ {mean}; {precision}; {hyper}"

    def _k_text(self) -> str:
        if self.k_prior_name == "uniform":
            return f"K ~ uniform on 1..{self.k_max}"
        if self.k_prior_name:
            return f"K - 1 ~ {self.k_prior_name}, K <= {self.k_max}"
        mode = int(np.argmax(self.log_prior_k)) + 1
        return f"K ~ given probabilities on 1..{self.k_max} (mode {mode})"


@dataclass(frozen=True)
class MFMPriors:
    """Priors of a mixture of finite mixtures (see the module documentation).

    Parameters
    ----------
    name : str, default="custom"
        A label for tables and plots.
    k_prior : str, tuple or array-like, default="uniform"
        Prior on ``K`` (see :func:`k_prior_log_pmf`), truncated at ``k_max``.
    weights : {"static", "dynamic"}, default="static"
        ``gamma_K = gamma`` or ``gamma_K = alpha / K``.
    gamma : float, default=1.0
        Static Dirichlet parameter (Richardson & Green's ``delta``).
    alpha : float or None, default=None
        Dynamic: a fixed ``alpha``; ``None`` gives ``alpha ~ F(alpha_prior)``.
    alpha_prior : tuple of float, default=(6.0, 3.0)
        Degrees of freedom ``(nu_l, nu_r)`` of the F prior on ``alpha``.
    b0 : array-like of shape (r,), default=None
        Mean of the means' prior (the data's midrange).
    B0 : float, array-like of shape (r,) or (r, r), default=None
        Covariance of the means' prior (``diag(R^2)``).
    c0 : float, default=None
        Shape of the precisions' prior (``2.5 + (r - 1) / 2``).
    g0 : float, default=None
        Shape of ``C0``'s prior (``0.5 + (r - 1) / 2``); ``0`` fixes ``C0``.
    G0 : float, array-like of shape (r,) or (r, r), default=None
        Rate of ``C0``'s prior (``100 g0 / c0 diag(1 / R^2)``).
    C0 : float, array-like of shape (r,) or (r, r), default=None
        ``C0`` when fixed (``g0 = 0``; default ``c0 / 100 diag(R^2)``, so that the
        precisions' prior mean is ``100 / R^2``).

    Examples
    --------
    >>> MFMPriors.named("richardson_green").c0
    2.0
    >>> MFMPriors.named("richardson_green", k_prior=("poisson", 3.0)).k_prior
    ('poisson', 3.0)
    """

    name: str = "custom"
    k_prior: Any = "uniform"
    weights: str = "static"
    gamma: float = 1.0
    alpha: float | None = None
    alpha_prior: tuple[float, float] = (6.0, 3.0)
    b0: Any = None
    B0: Any = None
    c0: float | None = None
    g0: float | None = None
    G0: Any = None
    C0: Any = None

    @classmethod
    def named(cls, name: str, **overrides: Any) -> MFMPriors:
        """A named prior, with fields replaced by ``overrides``.

        Parameters
        ----------
        name : {"richardson_green", "telescope"}
        **overrides
            Any field of :class:`MFMPriors`.

        Returns
        -------
        MFMPriors

        Raises
        ------
        ValueError
            For an unknown name or field.

        Examples
        --------
        >>> MFMPriors.named("telescope").k_prior
        ('bnb', 1.0, 4.0, 3.0)
        """
        presets = {
            "richardson_green": cls(
                name="richardson_green", k_prior="uniform", weights="static", gamma=1.0,
                c0=2.0, g0=0.2,
            ),
            "telescope": cls(
                name="telescope", k_prior=("bnb", 1.0, 4.0, 3.0), weights="dynamic",
                alpha=None, alpha_prior=(6.0, 3.0),
            ),
        }  # fmt: skip
        if name not in presets:
            raise ValueError(f"priors must be one of {PRIOR_NAMES}; got {name!r}.")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(f"unknown prior field(s) {unknown}; the fields are {sorted(fields)}.")
        return dataclasses.replace(presets[name], **overrides)

    @classmethod
    def from_spec(cls, priors: Any, n_features: int) -> MFMPriors:
        """``priors`` as given to :func:`bayesgmm.posterior_over_k`, as an MFMPriors.

        Parameters
        ----------
        priors : None, str, mapping or MFMPriors
            ``None``: ``"richardson_green"`` for one feature, ``"telescope"`` for more;
            a name; a mapping of field overrides, optionally with ``"name"`` (the
            default's when missing); or the priors themselves.
        n_features : int

        Returns
        -------
        MFMPriors

        Examples
        --------
        >>> MFMPriors.from_spec({"c0": 3.0}, 1).name, MFMPriors.from_spec(None, 2).name
        ('richardson_green', 'telescope')
        """
        default = "richardson_green" if n_features == 1 else "telescope"
        if priors is None:
            return cls.named(default)
        if isinstance(priors, MFMPriors):
            return priors
        if isinstance(priors, str):
            return cls.named(priors)
        if isinstance(priors, Mapping):
            overrides = dict(priors)
            return cls.named(overrides.pop("name", default), **overrides)
        raise TypeError(
            "priors must be None, a name in "
            f"{PRIOR_NAMES}, a mapping of field overrides or an MFMPriors; got "
            f"{type(priors).__name__}."
        )

    def resolve(
        self, X: NDArray[np.float64], k_max: int, covariance_type: str = "full"
    ) -> ResolvedPriors:
        """Fill the data-dependent defaults from ``X`` and check every field.

        For ``diag`` and ``spherical`` components the defaults are the one-feature
        ones applied per coordinate (``c0 = 2.5``, ``g0 = 0.5``, ``G0_jj = 100 g0 / c0
        / R_j^2``; for ``spherical`` with the mean of ``R_j^2``): the marginal prior
        of each variance under the Wishart default is the same inverse Gamma with
        shape 2.5. With one feature the three structures coincide.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        k_max : int
        covariance_type : {"full", "diag", "spherical"}, default="full"

        Returns
        -------
        ResolvedPriors

        Raises
        ------
        ValueError
            Naming the field that is out of range.

        Examples
        --------
        >>> X = np.array([[1.0], [3.0], [5.0]])
        >>> resolved = MFMPriors.named("richardson_green").resolve(X, 10)
        >>> float(resolved.b0[0]), float(resolved.B0[0, 0]), float(resolved.G0[0, 0])
        (3.0, 16.0, 0.625)
        """
        r = X.shape[1]
        if self.name == "richardson_green" and r != 1:
            raise ValueError(
                "priors 'richardson_green' are defined for one feature; got "
                f"{r} features. Use priors='telescope' (the multivariate default)."
            )
        if self.weights not in ("static", "dynamic"):
            raise ValueError(f"weights must be 'static' or 'dynamic'; got {self.weights!r}.")
        gamma = _positive("gamma", self.gamma)
        alpha = None if self.alpha is None else _positive("alpha", self.alpha)
        if not (isinstance(self.alpha_prior, tuple | list) and len(self.alpha_prior) == 2):
            raise ValueError(
                f"alpha_prior must be (nu_l, nu_r), two positive numbers; got {self.alpha_prior!r}."
            )
        nu = tuple(_positive("alpha_prior", v) for v in self.alpha_prior)
        lo, hi = X.min(axis=0), X.max(axis=0)
        span = hi - lo
        scaled = [f for f in ("B0", "G0") if getattr(self, f) is None]
        if self.g0 == 0 and self.C0 is None:
            scaled.append("C0")
        if np.any(span <= 0) and scaled:
            constant = np.flatnonzero(span <= 0).tolist()
            raise ValueError(
                f"X has a constant feature (column(s) {constant}): the defaults of "
                f"{', '.join(scaled)} are scaled by each feature's range, which must be "
                "positive. Give them explicitly."
            )
        structure = check_covariance_type(covariance_type)
        half = (r - 1) / 2 if structure == "full" else 0.0
        # the scale of each feature's variance (one shared scale for spherical)
        span2 = np.full(r, np.mean(span**2)) if structure == "spherical" else span**2
        c0 = _positive("c0", 2.5 + half if self.c0 is None else self.c0, half)
        g0_value = 0.5 + half if self.g0 is None else self.g0
        g0 = _positive("g0", g0_value, half) if g0_value != 0 else 0.0
        b0 = (lo + hi) / 2 if self.b0 is None else np.asarray(self.b0, dtype=float)
        if b0.shape != (r,) or not np.all(np.isfinite(b0)):
            raise ValueError(f"b0 must hold {r} finite numbers; got shape {b0.shape}.")
        B0 = _matrix("B0", span**2 if self.B0 is None else self.B0, r)
        scale = 100 * (g0 if g0 > 0 else 1.0) / c0
        G0 = _structured("G0", scale / span2 if self.G0 is None else self.G0, r, structure)
        if g0 > 0:
            C0 = g0 * np.linalg.inv(G0)  # the prior mean, the chains' start
        else:
            C0 = c0 / 100 * span2 if self.C0 is None else self.C0
            C0 = _structured("C0", C0, r, structure)
        return ResolvedPriors(
            name=self.name,
            k_max=k_max,
            log_prior_k=k_prior_log_pmf(self.k_prior, k_max),
            k_prior_name=_k_prior_name(self.k_prior),
            truncated=_unbounded(self.k_prior),
            dynamic=self.weights == "dynamic",
            gamma=gamma,
            alpha=alpha,
            alpha_prior=(nu[0], nu[1]),
            b0=b0,
            B0=B0,
            c0=c0,
            g0=g0,
            G0=G0,
            C0=C0,
            covariance_type=structure,
        )
