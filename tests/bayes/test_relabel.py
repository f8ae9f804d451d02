import numpy as np
import pytest

from bayesgmm.bayes.relabel import matching_permutations, relabel_draws


def test_permuted_draws_are_restored(rng):
    n_draws, K, D = 200, 3, 2
    reference = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    precisions = np.tile(np.eye(D), (K, 1, 1))
    means = reference + rng.normal(scale=0.2, size=(n_draws, K, D))
    weights = np.tile([0.2, 0.3, 0.5], (n_draws, 1))
    true_perm = np.array([rng.permutation(K) for _ in range(n_draws)])
    scrambled_means = np.take_along_axis(means, true_perm[:, :, None], axis=1)
    scrambled_weights = np.take_along_axis(weights, true_perm, axis=1)

    perms = matching_permutations(scrambled_means, reference, precisions)
    out = relabel_draws(
        {"means": scrambled_means, "weights": scrambled_weights}, perms, {"means": 1, "weights": 1}
    )
    np.testing.assert_array_equal(out["means"], means)
    np.testing.assert_array_equal(out["weights"], weights)


def test_relabel_uses_mahalanobis_distance():
    # draw component 0 is nearer reference 1 in Euclidean terms but not under its precision
    reference = np.array([[0.0, 0.0], [3.0, 0.0]])
    precisions = np.array([np.diag([1.0, 1.0]), np.diag([100.0, 100.0])])
    draw = np.array([[[2.0, 0.0], [3.0, 0.05]]])
    perm = matching_permutations(draw, reference, precisions)
    assert perm.tolist() == [[0, 1]]


@pytest.mark.parametrize("axis", [1, 2])
def test_relabel_draws_on_other_axes(axis, rng):
    arr = rng.normal(size=(4, 3, 3))
    perms = np.array([[2, 0, 1]] * 4)
    out = relabel_draws({"a": arr}, perms, {"a": axis})["a"]
    np.testing.assert_array_equal(np.take(arr, [2, 0, 1], axis=axis), out)
