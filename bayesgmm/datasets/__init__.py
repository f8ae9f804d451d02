"""Bundled example data sets (public R data sets; provenance in ``SOURCES.md``).

* :func:`load_faithful` -- Old Faithful geyser eruptions (R ``datasets::faithful``).
* :func:`load_galaxies` -- velocities of 82 galaxies (R ``MASS::galaxies``).
* :func:`load_iris` -- Fisher's / Anderson's iris measurements (R ``datasets::iris``).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["GALAXIES_VARIANTS", "load_faithful", "load_galaxies", "load_iris"]


def _read(name: str) -> pd.DataFrame:
    with resources.files(__name__).joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def load_faithful() -> pd.DataFrame:
    """Old Faithful geyser data: 272 eruptions, R's ``datasets::faithful``.

    Returns
    -------
    pandas.DataFrame
        Columns ``eruptions`` (eruption time, minutes) and ``waiting`` (time to the
        next eruption, minutes), in R's row order.

    Notes
    -----
    Härdle (1991), *Smoothing Techniques with Implementation in S*; Azzalini & Bowman
    (1990), *Applied Statistics* 39, 357-365. See ``SOURCES.md`` beside this module.

    Examples
    --------
    >>> df = load_faithful()
    >>> df.shape, list(df.columns)
    ((272, 2), ['eruptions', 'waiting'])
    """
    return _read("faithful.csv")


#: the galaxy data's versions: R's MASS::galaxies, and Roeder's (1990) values as used by
#: Richardson & Green (1997), which differ in observation 78 only
GALAXIES_VARIANTS = ("MASS", "richardson_green")


def load_galaxies(variant: str = "MASS") -> pd.DataFrame:
    """Velocities (km/s) of 82 galaxies in the Corona Borealis region.

    Parameters
    ----------
    variant : {"MASS", "richardson_green"}, default="MASS"
        ``"MASS"``: R's ``MASS::galaxies``, whose observation 78 is 26690 (a typo
        by MASS's own help page: "this dataset has 78th observation 26690 which
        should be 26960"). ``"richardson_green"``: the same data with observation 78
        = 26960, the values of Roeder (1990) analysed by Richardson & Green (1997)
        and distributed with Green's ``Nmix`` program (``galx``) and R's ``mixAK``
        (``Galaxy``), in km/s.

    Returns
    -------
    pandas.DataFrame
        One column ``velocity`` (km/s), sorted ascending as in R; divide by 1000
        for the scale used in the mixture literature.

    Raises
    ------
    ValueError
        For an unknown ``variant``.

    Notes
    -----
    Roeder (1990), *JASA* 85, 617-624; Postman, Huchra & Geller (1986). See
    ``SOURCES.md`` beside this module.

    Examples
    --------
    >>> df = load_galaxies()
    >>> df.shape, int(df["velocity"].min()), int(df["velocity"].max())
    ((82, 1), 9172, 34279)
    >>> int(load_galaxies("richardson_green")["velocity"].iloc[77])
    26960
    """
    if variant not in GALAXIES_VARIANTS:
        raise ValueError(f"variant must be one of {GALAXIES_VARIANTS}; got {variant!r}.")
    frame = _read("galaxies.csv")
    if variant == "richardson_green":
        frame.loc[77, "velocity"] = 26960  # 26690 in MASS; the row stays in sorted order
    return frame


#: species in R's factor-level order
_IRIS_SPECIES = ("setosa", "versicolor", "virginica")


def load_iris() -> pd.DataFrame:
    """Iris flowers: 150 plants of three species, R's ``datasets::iris``.

    Returns
    -------
    pandas.DataFrame
        Columns ``sepal_length``, ``sepal_width``, ``petal_length`` and
        ``petal_width`` (cm) and ``species`` (categorical: setosa, versicolor,
        virginica; 50 plants each), in R's row order. Fit mixtures to the four
        measurements, ``df.iloc[:, :4]``; the species are for comparison only.

    Notes
    -----
    Anderson (1935), *Bulletin of the American Iris Society* 59, 2-5 (the
    measurements); Fisher (1936), *Annals of Eugenics* 7, 179-188. The values are R's
    (rows 35 and 38 differ from the UCI copy, which has two transcription errors).
    See ``SOURCES.md`` beside this module.

    Examples
    --------
    >>> df = load_iris()
    >>> df.shape, list(df.columns[:2])
    ((150, 5), ['sepal_length', 'sepal_width'])
    >>> df["species"].value_counts(sort=False).tolist()
    [50, 50, 50]
    """
    frame = _read("iris.csv")
    frame["species"] = pd.Categorical(frame["species"], categories=_IRIS_SPECIES)
    return frame
