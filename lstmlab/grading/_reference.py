"""The reference the checks compare with: a private copy of ``lstmlab.numpy``.

Loaded from the source files when ``lstmlab.grading`` is imported (and again by
:func:`lstmlab.grading.fresh`), so rebinding ``lstmlab.numpy.lstm_forward`` in a notebook
changes nothing here.
"""

from __future__ import annotations

import os

from . import _private

NUMPY_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "numpy")
ref = _private.load_package(NUMPY_DIR, "numpy_reference", submodules=("optim", "layers"))
