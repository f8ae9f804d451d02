# Two commands set everything up on a fresh machine: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench venv clean notebooks

venv: $(STAMP)

$(STAMP): pyproject.toml
	@bash tools/make_venv.sh $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@echo "compiling the Bayesian model's kernels once for this machine (cached; ~25 s)"
	$(PY) -c "from bayesgmm.bayes.density import compile_kernels; compile_kernels()"
	$(PY) -c "import bayesgmm; bayesgmm.GaussianMixture(2, covariance_type='EVE').fit(bayesgmm.load_iris().iloc[:, :4])"
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m bayesgmm demo

test: $(STAMP)
	$(PY) -m pytest

notebooks: $(STAMP)
	$(PY) tools/run_notebooks.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/em_speed.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
