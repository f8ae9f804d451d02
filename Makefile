# Two commands set everything up on a fresh machine: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench venv clean notebooks

venv: $(STAMP)

$(STAMP): pyproject.toml
	@bash tools/make_venv.sh $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@echo "compiling the Bayesian model's kernels once for this machine (cached; ~25 s)"
	$(PY) -c "from bayesgmm.bayes.compiled_model import compile_kernels; compile_kernels()"
	@echo "compiling the EM loop for small data and mclust's M-steps (cached; ~40 s)"
	$(PY) -c "import bayesgmm; X = bayesgmm.load_iris().iloc[:, :4]; [bayesgmm.GaussianMixture(2, covariance_type=m).fit(X) for m in ('EVE', 'VEI')]"
	@echo "compiling the posterior-over-K sampler (cached; ~15 s)"
	$(PY) -W ignore -c "import bayesgmm; bayesgmm.posterior_over_k(bayesgmm.load_galaxies() / 1000, draws=5, tune=5, max_doublings=0, progress=False)"
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m bayesgmm demo

test: $(STAMP)
	$(PY) -m pytest

notebooks: $(STAMP)
	$(PY) tools/run_notebooks.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# static types of bayesgmm/ (settings in pyproject.toml's [tool.mypy])
typecheck: $(STAMP)
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) benchmarks/em_speed.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache
