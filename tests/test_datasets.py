"""Tests of bayesgmm.datasets: the bundled data match the documented sources."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from bayesgmm import GaussianMixture, load_faithful, load_galaxies
from bayesgmm.datasets import load_iris


def test_faithful_shape_columns_and_dtypes():
    df = load_faithful()
    assert isinstance(df, pd.DataFrame)
    assert df.shape == (272, 2)
    assert list(df.columns) == ["eruptions", "waiting"]
    assert all(np.issubdtype(dtype, np.number) for dtype in df.dtypes)
    assert not df.isna().any().any()


def test_faithful_matches_documented_summary():
    """Numbers from SOURCES.md (R's datasets::faithful)."""
    df = load_faithful()
    assert_allclose(df["eruptions"].mean(), 3.487783, atol=5e-7)
    assert_allclose(df["waiting"].mean(), 70.89706, atol=5e-6)
    assert (df["eruptions"].min(), df["eruptions"].max()) == (1.6, 5.1)
    assert (df["waiting"].min(), df["waiting"].max()) == (43, 96)
    # R's row order: the first rows of ?faithful
    assert df.iloc[0].tolist() == [3.6, 79.0]
    assert df.iloc[1].tolist() == [1.8, 54.0]


def test_galaxies_matches_documented_summary():
    """Numbers from SOURCES.md (MASS::galaxies)."""
    df = load_galaxies()
    assert df.shape == (82, 1)
    assert list(df.columns) == ["velocity"]
    velocity = df["velocity"].to_numpy()
    assert (velocity.min(), velocity.max()) == (9172, 34279)
    assert np.all(np.diff(velocity) >= 0)  # sorted ascending, as in R
    assert velocity[77] == 26690  # observation 78, the documented MASS quirk
    assert 26960 not in velocity


@pytest.mark.parametrize("loader", [load_faithful, load_galaxies, load_iris])
def test_loaders_return_fresh_copies(loader):
    first = loader()
    first.iloc[0, 0] = -1.0
    assert loader().iloc[0, 0] != -1.0


@pytest.mark.parametrize("loader", [load_faithful, load_galaxies])
def test_loaded_data_can_be_fitted(loader):
    df = loader()
    gm = GaussianMixture(2, random_state=0).fit(df)
    assert list(gm.feature_names_in_) == list(df.columns)
    assert np.isfinite(gm.score(df))


def test_iris_matches_documented_summary():
    """Numbers from SOURCES.md (R's datasets::iris)."""
    df = load_iris()
    measurements = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert list(df.columns) == [*measurements, "species"]
    assert df.shape == (150, 5)
    assert_allclose(df[measurements].mean(), [5.843333, 3.057333, 3.758, 1.199333], atol=5e-7)
    assert df[measurements].min().tolist() == [4.3, 2.0, 1.0, 0.1]
    assert df[measurements].max().tolist() == [7.9, 4.4, 6.9, 2.5]
    assert list(df["species"].cat.categories) == ["setosa", "versicolor", "virginica"]
    assert df["species"].value_counts(sort=False).tolist() == [50, 50, 50]
    # R's values, not the UCI copy's two transcription errors
    assert df.iloc[34, :4].tolist() == [4.9, 3.1, 1.5, 0.2]
    assert df.iloc[37, :4].tolist() == [4.9, 3.6, 1.4, 0.1]


def test_iris_measurements_can_be_fitted():
    df = load_iris()
    gm = GaussianMixture(2, random_state=0).fit(df.iloc[:, :4])
    assert list(gm.feature_names_in_) == list(df.columns[:4])


def test_iris_matches_scikit_learn_copy():
    """The bundled file was copied once from scikit-learn (a test-only dependency)."""
    datasets = pytest.importorskip("sklearn.datasets")
    reference = datasets.load_iris()
    df = load_iris()
    assert_allclose(df.iloc[:, :4].to_numpy(), reference.data)
    assert (df["species"].cat.codes.to_numpy() == reference.target).all()
