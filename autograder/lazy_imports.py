"""Defer one costly import that grading never needs: ``rfc3987_syntax``.

``import nbformat`` imports ``jsonschema``, whose format checkers import
``rfc3987_syntax`` when it is installed; that module compiles an Earley grammar at import
time (about 1.5 s of CPU, paid by the main process and again by every worker).  Notebook
validation never uses the ``iri`` formats it checks.  :func:`defer_rfc3987_syntax` puts a
stand-in module in ``sys.modules`` whose attributes import the real module on first use,
so nothing changes for a caller that does need it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

NAME = "rfc3987_syntax"


class _Deferred(types.ModuleType):
    """Stand-in for ``rfc3987_syntax``: any attribute loads the real module and is read from it."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            # The import system probes ``__path__`` and the like; that must not load the module.
            raise AttributeError(attr)
        return getattr(_real(), attr)


def _real() -> types.ModuleType:
    if isinstance(sys.modules.get(NAME), _Deferred):
        del sys.modules[NAME]
    return importlib.import_module(NAME)


def is_valid_syntax(*args, **kwargs):
    # jsonschema imports this one name with ``from rfc3987_syntax import is_valid_syntax``.
    return _real().is_valid_syntax(*args, **kwargs)


def defer_rfc3987_syntax() -> None:
    """Install the stand-in unless the module is already imported or not installed."""
    if NAME in sys.modules or importlib.util.find_spec(NAME) is None:
        return
    stand_in = _Deferred(NAME, __doc__)
    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules[NAME] = stand_in
