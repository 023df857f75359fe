"""House rules about imports, checked by reading the source with ``ast`` (nothing is imported).

1. **Relative sibling imports** in the packages the grading checks execute again from source
   under a private name (``lstmlab/numpy/``: the reference; ``lstmlab/grading/``: ``fresh()``).
   An absolute ``from lstmlab.numpy.x import y`` inside ``lstmlab/numpy/`` would resolve to the
   public, patchable module instead of the private copy's own sibling.
2. **No private name used across modules** (in every source folder but ``tests/``): a name with a
   leading underscore is used only in the module that defines it; a private module
   (``_base.py``) only inside its own package.  A helper another module needs gets a public
   name (in a private module, if it is not for users).  Tests may reach into internals to test
   them, and third-party private modules (``numpy._core``) are outside this rule.

Every module is found by walking the folders, so new modules are checked as they are added.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The packages `lstmlab.grading` loads again from their source files (grading/_reference.py,
# grading/__init__.py's fresh()), each with the lstmlab package it may not import absolutely:
# the reference (numpy/) imports nothing from lstmlab at all, so a notebook that patches any
# lstmlab module cannot reach it; grading/ may use lstmlab.evidence, but not itself.
PRIVATELY_LOADED = {"lstmlab/numpy": "lstmlab", "lstmlab/grading": "lstmlab.grading"}
CHECKED = ["lstmlab", "autograder", "bench", "experiments", "notebooks"]
GENERATED = {"autograder/release", "autograder/source", "autograder/submitted", "autograder/autograded",
             "autograder/feedback", "autograder/work"}


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py")
                  if not any(p.relative_to(ROOT).as_posix().startswith(g + "/") for g in GENERATED))


def _dotted(path: Path) -> tuple[str, str]:
    """``lstmlab/grading/_torch.py`` -> (``lstmlab.grading._torch``, its package ``lstmlab.grading``)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module an ``import from`` names, made absolute."""
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _private_part(dotted: str) -> int | None:
    """Index of the first private component of a dotted module name (``a._b.c`` -> 1)."""
    for i, part in enumerate(dotted.split(".")):
        if part.startswith("_") and not part.startswith("__"):
            return i
    return None


def _inside(package: str, dotted: str) -> bool:
    return package == dotted or package.startswith(dotted + ".")


def _module_allowed(importer_package: str, dotted: str) -> bool:
    """A private module is for the package that holds it (and that package's subpackages)."""
    i = _private_part(dotted)
    return i is None or _inside(importer_package, ".".join(dotted.split(".")[:i]))


def private_uses(path: Path) -> list[str]:
    """Every use in ``path`` of another lstmlab/autograder module's private name."""
    module, package = _dotted(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    modules_bound: dict[str, str] = {}  # local name -> the project module it is bound to
    ours = ("lstmlab", "autograder")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in ours:
                    continue
                if not _module_allowed(package, alias.name):
                    found.append(f"line {node.lineno}: import {alias.name}")
                if alias.asname:
                    modules_bound[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, package)
            if source.split(".")[0] not in ours:
                continue
            if not _module_allowed(package, source):
                found.append(f"line {node.lineno}: from {'.' * node.level}{node.module or ''} import ...")
                continue
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if _is_module(target):
                    if not _module_allowed(package, target):
                        found.append(f"line {node.lineno}: private module {target}")
                    modules_bound[alias.asname or alias.name] = target
                elif alias.name.startswith("_") and not alias.name.startswith("__") and source != module:
                    found.append(f"line {node.lineno}: {alias.name} from {source}")
    for node in ast.walk(tree):
        # `cells._check_sizes`, `plots._pyplot()`: an attribute of a project module bound above.
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules_bound and node.attr.startswith("_") and not node.attr.startswith("__")):
            target = f"{modules_bound[node.value.id]}.{node.attr}"
            if not (_is_module(target) and _module_allowed(package, target)):
                found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def sibling_absolute_imports(path: Path, forbidden: str) -> list[str]:
    """Absolute imports of the package ``forbidden`` or of its modules."""
    package = forbidden
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if _inside(n, package)]
    return found


@pytest.mark.parametrize("package_dir", sorted(PRIVATELY_LOADED))
def test_privately_loaded_packages_import_their_siblings_relatively(package_dir):
    paths = _modules(package_dir)
    assert len(paths) > 3, f"found no modules under {package_dir}"
    forbidden = PRIVATELY_LOADED[package_dir]
    bad = {p.relative_to(ROOT).as_posix(): sibling_absolute_imports(p, forbidden) for p in paths}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, (f"modules of {package_dir}/ must import their siblings relatively (from .x import y) "
                     f"and nothing from {forbidden} absolutely, so the private copy the grading checks "
                     f"load uses its own siblings: {bad}")


@pytest.mark.parametrize("folder", CHECKED)
def test_no_private_name_is_used_across_modules(folder):
    paths = _modules(folder)
    assert paths, f"found no modules under {folder}"
    bad = {p.relative_to(ROOT).as_posix(): private_uses(p) for p in paths}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, ("private names used outside the module (or private modules outside the package) "
                     f"that defines them; give them a public name or keep them in their module: {bad}")


def _write(tmp: Path, rel: str, source: str) -> Path:
    path = tmp / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


def test_the_rules_catch_what_they_are_for(tmp_path):
    # A small package tree of the same shape, so each kind of violation is seen to be reported.
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        for rel in ("lstmlab/__init__.py", "lstmlab/numpy/__init__.py", "lstmlab/numpy/_helpers.py",
                    "lstmlab/numpy/rnn.py", "lstmlab/torch/__init__.py", "lstmlab/torch/cells.py"):
            _write(tmp_path, rel, "")
        absolute = _write(tmp_path, "lstmlab/numpy/lstm.py",
                          "from lstmlab.numpy.rnn import f\nimport lstmlab.numpy._helpers\nfrom . import rnn\n"
                          "from lstmlab import errors\nimport numpy\n")
        assert sibling_absolute_imports(absolute, "lstmlab") == [
            "line 1: lstmlab.numpy.rnn", "line 2: lstmlab.numpy._helpers", "line 4: lstmlab"]
        assert sibling_absolute_imports(absolute, "lstmlab.numpy") == [
            "line 1: lstmlab.numpy.rnn", "line 2: lstmlab.numpy._helpers"]
        leaky = _write(tmp_path, "lstmlab/torch/modules.py",
                       "from .cells import _check_sizes, check\nfrom lstmlab.numpy._helpers import g\n"
                       "from lstmlab.numpy import _helpers\nfrom . import cells\ncells._private()\ncells.__name__\n")
        assert private_uses(leaky) == [
            "line 1: _check_sizes from lstmlab.torch.cells",
            "line 2: from lstmlab.numpy._helpers import ...",
            "line 3: private module lstmlab.numpy._helpers",
            "line 5: cells._private",
        ]
        # Inside its own package a private module is fine, and so is a module's own private name.
        fine = _write(tmp_path, "lstmlab/numpy/gru.py", "from ._helpers import g\nfrom . import _helpers\n")
        assert private_uses(fine) == []
    finally:
        ROOT = saved
