"""Private copies of packages, loaded from their source files.

A notebook can rebind attributes of any module it can import (``lstmlab.numpy.lstm_forward =
...``).  A copy executed from the source files under a private name, and removed from
``sys.modules`` right after, is reachable only through the object returned here.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys

_counter = itertools.count()


def load_package(directory: str, label: str, submodules=()):
    """Execute the package in ``directory`` (its ``__init__.py``, whatever it imports
    relatively, and the listed ``submodules``) under a fresh private name; return the
    package, with the submodules as its attributes."""
    name = f"_lstmlab_private_{label}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(directory, "__init__.py"), submodule_search_locations=[directory]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # relative imports inside the package need it while it runs
    try:
        spec.loader.exec_module(module)
        for sub in submodules:
            importlib.import_module(f"{name}.{sub}")  # also binds it as module.<sub>
    finally:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    return module


def load_module(path: str, label: str):
    """Execute the single module file ``path`` under a fresh private name; return it.

    Its absolute imports (``import numpy``, ``from lstmlab.numpy.params import ...``) resolve
    as usual; only the module itself is private.
    """
    name = f"_lstmlab_private_{label}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing look the module up while it runs
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module
