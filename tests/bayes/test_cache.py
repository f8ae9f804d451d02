"""The per-machine cache of compiled kernels: location, keys, corruption, concurrency.

A process fixes its cache folder when the kernels are first imported, so every
scenario runs in fresh subprocesses with ``BAYESGMM_CACHE_DIR`` set. To keep the
suite fast they start from a copy of this session's cache where they can.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bayesgmm.bayes import cache
from bayesgmm.bayes.compiled_model import compile_kernels

# compiles (or loads) the kernels, evaluates one model, reports the warnings seen
_SCRIPT = """
import json, sys, warnings
import numpy as np
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    from bayesgmm.bayes import kernels
    from bayesgmm.bayes.cache import kernel_cache_dir
    from bayesgmm.bayes.compiled_model import CompiledMixture, compile_kernels
    from bayesgmm.bayes.build import standardization
    from bayesgmm.bayes.spec import Priors
    logp_cfunc, _ = compile_kernels()
    X = np.array([[0.0, 1.0], [1.0, 0.5], [5.0, 4.0], [6.0, 5.0]])
    model = CompiledMixture(X, 2, "full", Priors(), *standardization(X))
    logp = model.constrain(np.zeros((1, model.n_dim)))[0].sum()
print(json.dumps({
    "warnings": [str(w.message) for w in caught if "cache" in str(w.message)],
    "hits": logp_cfunc.cache_hits,
    "folder": str(kernel_cache_dir()),
    "check": float(logp),
}))
"""


def _run(cache_root: Path, background: bool = False):
    env = {**os.environ, cache.CACHE_ENV: str(cache_root)}
    command = [sys.executable, "-c", _SCRIPT]
    if background:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory) -> Path:
    """A cache root holding a copy of this installation's compiled kernels."""
    compile_kernels()
    root = tmp_path_factory.mktemp("cache")
    target = root / cache.kernel_cache_dir().relative_to(cache.cache_dir())
    shutil.copytree(cache.kernel_cache_dir(), target)
    return root


def test_cache_dir_follows_the_environment_and_platform(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert cache.cache_dir() == tmp_path / "xdg" / "bayesgmm"


def test_kernel_folder_is_keyed_by_versions_and_installation():
    import numba

    import bayesgmm

    folder = cache.kernel_cache_dir()
    assert folder.parent.name == f"numba-{numba.__version__}"
    assert folder.parent.parent.name == bayesgmm.__version__
    assert len(folder.name) == 16  # digest of the package's location


def test_fresh_process_loads_the_compiled_kernels(warm_cache):
    report = _run(warm_cache)
    assert report["warnings"] == []
    assert report["hits"] == 1  # loaded from the cache, not compiled
    assert report["folder"].startswith(str(warm_cache))


def test_corrupt_entry_is_rebuilt_with_a_warning_never_used(warm_cache, tmp_path):
    root = tmp_path / "corrupt"
    shutil.copytree(warm_cache, root)
    folder = next(p.parent for p in root.rglob("manifest.json"))
    entry = next(folder.glob("logp_kernels.c_log_density*.nbc"))
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the machine code's pickle
    entry.write_bytes(bytes(data))
    report = _run(root)
    assert len(report["warnings"]) == 1
    assert "corrupt" in report["warnings"][0]
    assert entry.name in report["warnings"][0]
    assert report["hits"] == 0  # compiled again, not loaded
    assert report["check"] == pytest.approx(1.0)
    # rebuilt and recorded: the next process loads it without a word
    again = _run(root)
    assert again["warnings"] == []
    assert again["hits"] == 1


def test_truncated_index_is_rebuilt(warm_cache, tmp_path):
    root = tmp_path / "truncated"
    shutil.copytree(warm_cache, root)
    index = next(root.rglob("logp_kernels.c_log_density*.nbi"))
    index.write_bytes(index.read_bytes()[:10])
    report = _run(root)
    assert any("corrupt" in message for message in report["warnings"])
    assert report["check"] == pytest.approx(1.0)


def test_concurrent_processes_compile_one_consistent_entry(tmp_path):
    root = tmp_path / "empty"
    workers = [_run(root, background=True) for _ in range(2)]
    reports = []
    for worker in workers:
        out, _ = worker.communicate(timeout=600)
        assert worker.returncode == 0
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["warnings"] == [] for r in reports)
    # one compiled under the lock, the other waited and loaded it
    assert sorted(r["hits"] for r in reports) == [0, 1]
    assert _run(root) == {**reports[0], "hits": 1}


def test_unwritable_cache_compiles_in_memory_with_a_warning(tmp_path):
    if os.geteuid() == 0:
        # root writes everywhere: use a path that cannot be a directory
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        root = blocker / "sub"
    else:  # pragma: no cover - CI runs as root
        root = tmp_path / "locked"
        root.mkdir()
        root.chmod(0o500)
    report = _run(root)
    assert len(report["warnings"]) == 1
    assert "cannot write its cache directory" in report["warnings"][0]
    assert report["check"] == pytest.approx(1.0)


def test_other_compiled_functions_stay_out_of_the_kernel_cache(warm_cache):
    """The EM's compiled orientation step (EVE) must not write into the guarded folder,
    where an entry the manifest does not know would make the next run rebuild it all."""
    script = (
        "import bayesgmm, bayesgmm.bayes.cache as c; "
        "bayesgmm.GaussianMixture(2, covariance_type='EVE').fit(bayesgmm.load_iris().iloc[:, :4]); "
        "print(c.kernel_cache_dir())"
    )
    env = {**os.environ, cache.CACHE_ENV: str(warm_cache)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert not [p.name for p in folder.iterdir() if "orientation" in p.name]
    assert _run(warm_cache)["warnings"] == []  # the kernels still load, nothing rebuilt
