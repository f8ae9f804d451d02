"""The package's layout: layers imported one way, names unique, old import paths kept.

The layers, bottom to top, are the ones the README's "Architecture" section draws. A
module may import its own layer and the layers below it, never a layer above it, and
function-local imports count too (a local import upward is a cycle in waiting).
"""

from __future__ import annotations

import ast
import importlib
from collections import Counter
from pathlib import Path

import pytest

import bayesgmm

PACKAGE = Path(bayesgmm.__file__).parent

#: bottom to top; units in one layer do not import each other (except themselves)
LAYERS = [
    {"_version", "exceptions", "_lazy"},
    {"core", "datasets"},
    {"covariance"},
    {"testing"},
    {"persistence"},
    {"em"},
    {"bayes", "mfm"},
    {"uses"},
    {"selection"},
    {"classification"},
    {"plots"},
    {"reporting"},
    {"cli"},
    {"__main__", "__init__"},
]
LAYER_OF = {unit: index for index, layer in enumerate(LAYERS) for unit in layer}


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found.append((".".join(("bayesgmm", *parts)), path))
    return found


def _unit(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every bayesgmm import, function-local ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name, []) for a in node.names if a.name.startswith("bayesgmm")
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bayesgmm"):
            found.append((node.lineno, node.module, [a.name for a in node.names]))
    return found


def test_every_unit_has_a_layer():
    units = {_unit(module) for module, _ in _modules()}
    assert units <= set(LAYER_OF), f"units without a layer: {sorted(units - set(LAYER_OF))}"


def test_no_layer_imports_a_layer_above_it_or_a_sibling():
    upward = []
    for module, path in _modules():
        own = _unit(module)
        if own == "__init__":
            continue
        for line, target, names in _imports(path):
            imported = _unit(target) if target != "bayesgmm" else "__init__"
            if (
                imported == "__init__"
                and names
                and all(importlib.util.find_spec(f"bayesgmm.{name}") for name in names)
            ):
                imported = names[0]  # ``from bayesgmm import exceptions``: a submodule
            if imported != own and LAYER_OF[imported] >= LAYER_OF[own]:
                upward.append(f"{path.relative_to(PACKAGE)}:{line} imports {target}")
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_no_private_name_crosses_packages():
    crossing = []
    for module, path in _modules():
        own = _unit(module)
        for line, target, names in _imports(path):
            if _unit(target) == own:
                continue
            private_module = any(part.startswith("_") for part in target.split(".")[2:])
            private_names = [n for n in names if n.startswith("_") and n != "__version__"]
            if private_module or private_names:
                crossing.append(f"{path.relative_to(PACKAGE)}:{line} {target} {private_names}")
    assert not crossing, "private names imported across packages:\n" + "\n".join(crossing)


def test_at_most_fifteen_top_level_modules_and_unique_module_names():
    top_level = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top_level) <= 15, top_level
    names = Counter(path.name for _, path in _modules() if path.name != "__init__.py")
    assert not [n for n, count in names.items() if count > 1], names.most_common(3)


@pytest.mark.parametrize("old", sorted(bayesgmm._MOVED_MODULES))
def test_old_module_paths_import_the_same_module(old):
    module = importlib.import_module(old)
    assert module is importlib.import_module(bayesgmm._MOVED_MODULES[old])
    assert module.__name__ == bayesgmm._MOVED_MODULES[old]
    assert module.__spec__.name == module.__name__  # the import hook restored it
    for name in getattr(module, "__all__", ()):
        exec(f"from {old} import {name}", {})  # every public name by its old path


def test_the_restructured_packages_keep_their_public_names():
    from bayesgmm.em import GaussianMixture
    from bayesgmm.reporting import Report, build_report, report
    from bayesgmm.selection import ModelSelection, select_model

    assert GaussianMixture is bayesgmm.GaussianMixture
    assert (ModelSelection, select_model) == (bayesgmm.ModelSelection, bayesgmm.select_model)
    assert (Report, build_report, report) == (
        bayesgmm.Report,
        bayesgmm.build_report,
        bayesgmm.report,
    )


def test_pickles_that_name_an_old_module_path_still_load():
    # objects pickled before the restructure name their classes by the old paths
    import pickle

    from bayesgmm.uses.clustering import ClusteringResult

    old = b"cbayesgmm.clustering\nClusteringResult\n."  # protocol 0: a global reference
    assert pickle.loads(old) is ClusteringResult
    assert pickle.loads(b"cbayesgmm.em\nGaussianMixture\n.") is bayesgmm.GaussianMixture
