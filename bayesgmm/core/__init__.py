"""The bottom layer: what every other part of bayesgmm uses, importing none of them.

- :mod:`~bayesgmm.core.validation`: the one validation path for public arguments.
- :mod:`~bayesgmm.core.numerics`: log-sum-exp and the Gaussian log-density in NumPy.
- :mod:`~bayesgmm.core.atomic_io`: writes that never leave a half-written file.
- :mod:`~bayesgmm.core.estimator_api`: scikit-learn's parameter and fitted-state conventions.
- :mod:`~bayesgmm.core.display`, :mod:`~bayesgmm.core.types`: tables in notebooks, type aliases.
"""
