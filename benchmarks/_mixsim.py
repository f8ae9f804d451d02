"""Gaussian mixtures with a controlled overlap, after MixSim (Melnykov, Chen & Maitra 2012).

The overlap of components ``i`` and ``j`` is Melnykov & Maitra's (2010, JCGS 19(2))
``omega_ij = omega_{j|i} + omega_{i|j}``, where ``omega_{j|i}`` is the probability that a
point of component ``i`` is put in ``j`` by the Bayes rule of the two weighted
components: ``P(pi_j phi_j(X) > pi_i phi_i(X) | X ~ N(mu_i, S_i))``.

The reduction: with ``X = mu_i + S_i^(1/2) Z``
and ``A = S_i^(1/2) S_j^(-1) S_i^(1/2) = G diag(l) G'``, ``d = G' S_i^(-1/2) (mu_i - mu_j)``,
the event is ``Q < t`` with::

    Q = sum_{l != 1} (l - 1) U_l + sum_{l = 1} 2 d W
    U_l ~ noncentral chi2_1(l^2 d^2 / (l - 1)^2),  W ~ N(0, 1)
    t = log(pi_j^2 |S_i| / (pi_i^2 |S_j|)) + sum_{l != 1} l d^2 / (l - 1) - sum_{l = 1} d^2

(Melnykov & Maitra's Theorem 1; derived again here). MixSim evaluates ``P(Q < t)``
exactly with Davies' (1980) algorithm. Here the generator uses a **seeded Monte Carlo**
estimate on that representation: ``y ~ N(0, I)`` drawn once (common random numbers for
every covariance scale), ``omega_{j|i}`` = share of draws with
``sum_l [l (y_l + d_l)^2 - y_l^2] < log(pi_j^2 |S_i| / (pi_i^2 |S_j|))``, with
``max(20000, 2e6 / (K (K - 1)))`` draws per ordered pair. Its binomial standard error is
reported with every data set (the average overlap's is about 1-3 % of it).
:func:`pair_overlap` is an independent numerical evaluation (Gil-Pelaez inversion of
``Q``'s characteristic function, ``P(Q < t) = 1/2 - (1/pi) int_0^inf Im(exp(-iut)
phi_Q(u)) / u du``, QUADPACK); :func:`check` (``python benchmarks/_mixsim.py``) compares
both with brute-force classification of points drawn from the two densities.

Generation follows MixSim's defaults: means uniform on the unit hypercube,
covariances from the standard Wishart distribution with ``p + 1`` degrees of freedom,
weights ``pi_low + (1 - K pi_low) * Dirichlet(1, ..., 1)``; then every covariance is
multiplied by one factor ``c`` found by bisection (on ``log c``) so that the average (or
the largest) pairwise overlap hits its target. Scaling every covariance by ``c`` leaves
``l`` and ``t``'s determinant term unchanged and divides ``d`` by ``sqrt(c)``, so the
eigen-decompositions are made once per pair.

Background noise: a fraction of the ``n`` points uniform over the bounding box of the
Gaussian points (label ``-1``); the true K stays the number of Gaussian components.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import integrate, linalg, stats

__all__ = ["Mixture", "overlap_matrix", "pair_overlap", "simulate_mixture"]

_UNIT = 1e-8  # |l - 1| below this counts as l = 1


@dataclass
class _Pair:
    """The parts of ``omega_{j|i}`` that do not depend on the covariance scale."""

    weights: np.ndarray  # l - 1 for l != 1
    lam: np.ndarray  # l for l != 1
    d0_curved: np.ndarray  # d at scale 1, directions with l != 1
    d0_flat: np.ndarray  # d at scale 1, directions with l = 1
    log_ratio: float  # log(pi_j^2 |S_i| / (pi_i^2 |S_j|))
    full_lam: np.ndarray  # every l
    full_d0: np.ndarray  # every d at scale 1


def _pair(w_i: float, mu_i, cov_i, w_j: float, mu_j, cov_j) -> _Pair:
    root = linalg.sqrtm(cov_i).real
    root = (root + root.T) / 2
    a = root @ linalg.solve(cov_j, root, assume_a="pos")
    lam, gamma = linalg.eigh((a + a.T) / 2)
    d = gamma.T @ linalg.solve(root, np.asarray(mu_i) - np.asarray(mu_j))
    curved = np.abs(lam - 1) > _UNIT
    log_ratio = 2 * np.log(w_j / w_i) + np.linalg.slogdet(cov_i)[1] - np.linalg.slogdet(cov_j)[1]
    return _Pair(lam[curved] - 1, lam[curved], d[curved], d[~curved], float(log_ratio), lam, d)


def _probability(pair: _Pair, scale: float) -> float:
    """``P(Q < t)`` for covariances multiplied by ``scale``."""
    dc = pair.d0_curved / np.sqrt(scale)
    df = pair.d0_flat / np.sqrt(scale)
    c, lam = pair.weights, pair.lam
    ncp = lam**2 * dc**2 / c**2
    sigma2 = float(4 * np.sum(df**2))
    t = pair.log_ratio + float(np.sum(lam * dc**2 / c)) - float(np.sum(df**2))
    if c.size == 0:  # equal shapes: Q is normal with mean 0 (t carries |d|^2)
        return float(stats.norm.cdf(t / np.sqrt(sigma2))) if sigma2 > 0 else float(t > 0)

    def integrand(u: float) -> float:
        if u == 0:
            return float(np.sum(c * (1 + ncp)) - t)  # the limit: E[Q] - t
        z = 1 - 2j * c * u
        log_phi = np.sum(-0.5 * np.log(z) + 1j * c * ncp * u / z) - sigma2 * u * u / 2
        return float((np.exp(log_phi - 1j * u * t)).imag / u)

    # split at the scale of the weights so that QUADPACK sees the oscillation
    knot = 1.0 / float(np.max(np.abs(c)))
    head = integrate.quad(integrand, 0, 50 * knot, limit=500, epsabs=1e-10, epsrel=1e-9)[0]
    tail = integrate.quad(integrand, 50 * knot, np.inf, limit=500, epsabs=1e-10)[0]
    return float(np.clip(0.5 - (head + tail) / np.pi, 0.0, 1.0))


def pair_overlap(
    w_i: float, mu_i, cov_i, w_j: float, mu_j, cov_j, scale: float = 1.0
) -> tuple[float, float]:
    """``(omega_{j|i}, omega_{i|j})`` of two weighted Gaussian components.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = pair_overlap(0.5, [0.0], [[1.0]], 0.5, [2.0], [[1.0]])
    >>> round(a, 4), round(b, 4)  # Phi(-1) each
    (0.1587, 0.1587)
    """
    cov_i, cov_j = np.atleast_2d(cov_i), np.atleast_2d(cov_j)
    forward = _probability(_pair(w_i, mu_i, cov_i, w_j, mu_j, cov_j), scale)
    backward = _probability(_pair(w_j, mu_j, cov_j, w_i, mu_i, cov_i), scale)
    return forward, backward


def overlap_matrix(weights, means, covariances, scale: float = 1.0) -> np.ndarray:
    """``omega[i, j] = omega_{j|i}`` (rows: true component), ones on the diagonal.

    ``omega_ij = omega[i, j] + omega[j, i]`` is MixSim's pairwise overlap.
    """
    k = len(weights)
    omega = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            omega[i, j], omega[j, i] = pair_overlap(
                weights[i], means[i], covariances[i], weights[j], means[j], covariances[j], scale
            )
    return omega


@dataclass
class Mixture:
    """A simulated data set and the mixture that generated it."""

    X: np.ndarray
    labels: np.ndarray  # component of each row, -1 for background noise
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    average_overlap: float
    max_overlap: float
    scale: float
    info: dict = field(default_factory=dict)

    @property
    def n_components(self) -> int:
        return len(self.weights)


def _pairs(weights, means, covs) -> list[_Pair]:
    """Both directions of every pair: ``i -> j`` then ``j -> i``."""
    k = len(weights)
    out = []
    for i in range(k):
        for j in range(i + 1, k):
            out.append(_pair(weights[i], means[i], covs[i], weights[j], means[j], covs[j]))
            out.append(_pair(weights[j], means[j], covs[j], weights[i], means[i], covs[i]))
    return out


class _MonteCarlo:
    """Seeded Monte Carlo ``omega_{j|i}`` with common random numbers for every scale.

    ``omega_{j|i} = P(sum_l [l (y_l + d_l)^2 - y_l^2] < log_ratio)``, ``y ~ N(0, I)``,
    ``d = d0 / sqrt(c)``: the same ``y`` for every ``c`` makes the estimate a step
    function of ``c`` that is monotone in practice, so bisection on it is stable.
    """

    def __init__(self, pairs: list[_Pair], n_draws: int, rng: np.random.Generator) -> None:
        self.pairs = pairs
        p = len(pairs[0].full_lam)
        self.y = rng.standard_normal((n_draws, p))
        self.y2 = np.einsum("ij,ij->i", self.y, self.y)

    def directions(self, scale: float) -> np.ndarray:
        out = np.empty(len(self.pairs))
        for m, pair in enumerate(self.pairs):
            shifted = self.y + pair.full_d0 / np.sqrt(scale)
            q = (shifted * shifted) @ pair.full_lam - self.y2
            out[m] = np.mean(q < pair.log_ratio)
        return out

    def overlaps(self, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """Pairwise ``omega_ij`` and their Monte Carlo standard errors."""
        p = self.directions(scale)
        var = p * (1 - p) / len(self.y)
        return p[0::2] + p[1::2], np.sqrt(var[0::2] + var[1::2])


def simulate_mixture(
    n_components: int,
    n_features: int,
    n_samples: int,
    *,
    overlap: float = 0.01,
    target: str = "average",
    pi_low: float | None = None,
    noise: float = 0.0,
    random_state: int = 0,
    tol: float = 0.02,
    n_draws: int = 20_000,
    max_tries: int = 20,
) -> Mixture:
    """Draw a MixSim-style mixture whose average (or largest) pairwise overlap is ``overlap``.

    Parameters
    ----------
    n_components, n_features, n_samples : int
        K, D and n (n counts the noise points too).
    overlap : float, default=0.01
        Target of the average (``target="average"``, MixSim's ``BarOmega``) or the
        largest (``"max"``, ``MaxOmega``) pairwise overlap ``omega_ij``.
    pi_low : float, default=None
        Smallest weight; ``None``: ``max(0.3 / K, 25 / n_gauss)`` (at least 25 expected
        points per component).
    noise : float, default=0.0
        Fraction of points drawn uniformly over the bounding box of the Gaussian points.
    random_state : int, default=0
        Seed.
    tol : float, default=0.02
        Relative tolerance of the bisection on the overlap.
    n_draws : int, default=20000
        Monte Carlo draws per ordered pair (at least 2,000,000 over all pairs).
    max_tries : int, default=20
        New draws of means and covariances when the target cannot be reached.

    Returns
    -------
    Mixture
    """
    k, p = int(n_components), int(n_features)
    if k < 1 or p < 1:
        raise ValueError(f"n_components and n_features must be >= 1; got {k}, {p}.")
    if not 0 <= noise < 1:
        raise ValueError(f"noise must be in [0, 1); got {noise!r}.")
    if target not in ("average", "max"):
        raise ValueError(f"target must be 'average' or 'max'; got {target!r}.")
    rng = np.random.default_rng(random_state)
    n_noise = round(noise * n_samples)
    n_gauss = n_samples - n_noise
    if pi_low is None:
        pi_low = max(0.3 / k, 25 / n_gauss) if k > 1 else 1.0
    if k * pi_low > 1 + 1e-12:
        raise ValueError(
            f"{k} components with weights >= {pi_low:.3g} do not fit: pi_low * K > 1 "
            f"(n_samples={n_samples} is too small for K={k})."
        )
    weights = pi_low + (1 - k * pi_low) * rng.dirichlet(np.ones(k))
    scale, achieved, se, tries = 1.0, np.zeros(0), np.zeros(0), 0
    summary = np.mean if target == "average" else np.max
    for attempt in range(1, max_tries + 1):  # MixSim draws again when a target is out of reach
        tries = attempt
        means = rng.uniform(size=(k, p))
        covs = stats.wishart(df=p + 1, scale=np.eye(p)).rvs(size=k, random_state=rng)
        covs = np.asarray(covs).reshape(k, p, p)
        if k == 1:
            break
        n_dir = k * (k - 1)
        mc = _MonteCarlo(_pairs(weights, means, covs), max(n_draws, 2_000_000 // n_dir), rng)

        def measure(c: float, mc: _MonteCarlo = mc) -> float:
            return float(summary(mc.overlaps(c)[0]))

        if measure(1e8) < overlap:  # the overlap of the shapes alone is below the target
            continue
        low, high = 1e-3, 1e-3
        while measure(high) < overlap:
            low, high = high, high * 4
        while measure(low) > overlap:
            low /= 4
        for _ in range(80):
            scale = float(np.sqrt(low * high))
            value = measure(scale)
            if abs(value - overlap) <= tol * overlap or high / low < 1 + 1e-9:
                break
            low, high = (scale, high) if value < overlap else (low, scale)
        achieved, se = mc.overlaps(scale)
        break
    else:
        raise RuntimeError(
            f"no draw of {max_tries} reaches {target} overlap {overlap} with K={k}, D={p} "
            "(the shapes of Wishart covariances alone separate the components)."
        )
    covs = covs * scale
    counts = rng.multinomial(n_gauss, weights)
    labels = np.repeat(np.arange(k), counts)
    X = np.concatenate(
        [rng.multivariate_normal(means[j], covs[j], size=counts[j]) for j in range(k)]
    )
    if n_noise:
        lo, hi = X.min(axis=0), X.max(axis=0)
        X = np.concatenate([X, rng.uniform(lo, hi, size=(n_noise, p))])
        labels = np.concatenate([labels, np.full(n_noise, -1)])
    order = rng.permutation(len(X))
    return Mixture(
        X[order],
        labels[order],
        weights,
        means,
        covs,
        float(achieved.mean()) if achieved.size else 0.0,
        float(achieved.max()) if achieved.size else 0.0,
        scale,
        {
            "pi_low": pi_low,
            "noise": noise,
            "n_noise": n_noise,
            "target": target,
            "draws": tries,
            # Monte Carlo standard error of the average overlap (pairs independent)
            "average_overlap_se": float(np.sqrt(np.sum(se**2)) / se.size) if se.size else 0.0,
        },
    )


def check(n_draws: int = 200_000, seed: int = 1) -> pd.DataFrame:
    """``omega_{j|i}`` three ways on random pairs: exact, Monte Carlo on ``Q``, brute force.

    Brute force draws points from component ``i`` and classifies them by the two
    weighted densities (scipy), so it checks the reduction to ``Q`` as well.
    """
    rng = np.random.default_rng(seed)
    rows = []
    warnings.filterwarnings("ignore", category=integrate.IntegrationWarning)
    for p in (2, 3, 5, 10):
        for trial in range(3):
            cov_i = stats.wishart(p + 1, np.eye(p)).rvs(random_state=rng).reshape(p, p)
            cov_j = (
                cov_i.copy()
                if trial == 0
                else stats.wishart(p + 1, np.eye(p)).rvs(random_state=rng).reshape(p, p)
            )
            mu_i, mu_j = rng.uniform(size=p), rng.uniform(size=p)
            w_i, w_j = 0.3, 0.7
            exact = pair_overlap(w_i, mu_i, cov_i, w_j, mu_j, cov_j)[0]
            pair = _pair(w_i, mu_i, cov_i, w_j, mu_j, cov_j)
            mc = float(_MonteCarlo([pair], n_draws, rng).directions(1.0)[0])
            x = rng.multivariate_normal(mu_i, cov_i, size=n_draws)
            dens_i = np.log(w_i) + stats.multivariate_normal(mu_i, cov_i).logpdf(x)
            dens_j = np.log(w_j) + stats.multivariate_normal(mu_j, cov_j).logpdf(x)
            brute = float(np.mean(dens_j > dens_i))
            se = np.sqrt(max(brute * (1 - brute), 1e-12) / n_draws)
            rows.append(
                {
                    "D": p,
                    "shapes": "equal" if trial == 0 else "Wishart",
                    "exact": exact,
                    "monte carlo": mc,
                    "brute force": brute,
                    "z (exact - brute)": (exact - brute) / se,
                    "z (mc - brute)": (mc - brute) / (se * np.sqrt(2)),
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    with pd.option_context("display.width", 120, "display.precision", 5):
        print(check())
