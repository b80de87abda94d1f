"""The package is built in layers, and every import points down.

Bottom to top: the engine, the checks that test it, the series' network and its
training, data and model files, the views (graphs, traces, plots), the command
line. A module may import from its own layer and the layers below, never from one
above, not even inside a function or under ``TYPE_CHECKING``. The test reads every
module's imports from its source (``ast``), so it needs no list of exceptions:
a new module must be given a layer here, and an upward import fails.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_nnd

PACKAGE = Path(tinygrad_nnd.__file__).parent
NAME = tinygrad_nnd.__name__

# Bottom to top; each layer is a list of the package's top-level modules and subpackages.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("plain helpers", ("_version", "_arguments", "text")),
    ("engine", ("engine",)),
    ("checks", ("gradcheck", "testing")),
    ("network and training", ("nn",)),
    ("data and files", ("datasets", "csvdata", "io")),
    ("views", ("viz", "plots")),
    ("command line", ("cli", "__main__")),
    # tinygrad_nnd/__init__.py gathers the public names of every layer, so it is the top.
    ("the package's namespace", ("__init__",)),
)
LEVEL = {part: level for level, (_, parts) in enumerate(LAYERS) for part in parts}


def _modules() -> list[tuple[str, Path]]:
    """Every module of the package as (dotted name, file)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join([NAME, *parts]), path))
    return found


def _part(module: str) -> str:
    """The layer entry a dotted module name belongs to (``"__init__"`` for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import of the package in ``path``, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    imports = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            imports += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None or target == NAME:  # `from . import x`: x may be a module
                imports += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                imports.append((node.lineno, target))
    return [(line, name) for line, name in imports if name == NAME or name.startswith(NAME + ".")]


def _import_target_part(name: str) -> str:
    part = _part(name)
    # `from tinygrad_nnd import X` (or `from .. import X` at the top) names the package itself,
    # unless X is one of its modules.
    return part if part in LEVEL or part == "__init__" else "__init__"


def test_every_module_has_a_layer() -> None:
    """A module outside every layer would escape the check below: place it in LAYERS."""
    unplaced = sorted({_part(m) for m, _ in _modules()} - set(LEVEL))
    assert unplaced == []


@pytest.mark.parametrize("module, path", _modules(), ids=[m for m, _ in _modules()])
def test_imports_point_down_the_layers(module: str, path: Path) -> None:
    """No module imports from a layer above its own (function-level and TYPE_CHECKING imports included)."""
    own = LEVEL[_part(module)]
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name} "
        f"({LAYERS[LEVEL[_import_target_part(name)]][0]}, above {LAYERS[own][0]})"
        for line, name in _imported(module, path)
        if LEVEL[_import_target_part(name)] > own
    ]
    assert upward == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The reader finds relative imports inside functions, so the test above can fail."""
    source = tmp_path / "tensor.py"
    source.write_text("def f():\n    from ..viz.graph import to_dot\n    from .. import nn\n")
    assert _imported(f"{NAME}.engine.tensor", source) == [(2, f"{NAME}.viz.graph"), (3, f"{NAME}.nn")]


def _loaded_by(statement: str) -> set[str]:
    """The modules in ``sys.modules`` after running ``statement`` in a fresh interpreter."""
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_importing_the_engine_loads_the_engine_and_nothing_above_it() -> None:
    """``import tinygrad_nnd.engine`` loads no network, files, views, command line, optimizer or plotting.

    The package's ``__init__`` runs first; it loads the other layers only when one
    of their names is first used. ``gradcheck`` (the checks layer, needing nothing
    but the engine) is the exception, loaded with it because the function bears
    its module's name; ``text`` (plain helpers, below the engine) gives the engine its plurals.
    """
    loaded = _loaded_by(f"import {NAME}.engine")
    ours = {_part(m) for m in loaded if m == NAME or m.startswith(NAME + ".")}
    assert ours == {"__init__", "_version", "text", "engine", "gradcheck"}
    foreign = {m for m in loaded if m.split(".")[0] in {"matplotlib", "hypothesis", "pytest"}}
    assert foreign == set()
    assert "scipy.optimize" not in loaded


def test_names_loaded_on_use_are_the_modules_own_objects() -> None:
    """Each name the package loads on first use is the object its module defines, and in ``__all__``."""
    import importlib

    for name, module in tinygrad_nnd._LOADED_ON_USE.items():
        assert getattr(tinygrad_nnd, name) is getattr(importlib.import_module(f"{NAME}.{module}"), name)
        assert name in tinygrad_nnd.__all__
    with pytest.raises(AttributeError, match="no_such_name"):
        tinygrad_nnd.no_such_name  # noqa: B018
