"""Shared by the figure tests: every figure a test opened is closed after it.

pyplot keeps each figure alive until it is closed; across hundreds of tests that is memory,
and matplotlib's "more than 20 figures" RuntimeWarning (an error under this suite's
warnings-as-errors).
"""

import sys

import pytest


@pytest.fixture(autouse=True)
def close_figures():
    yield
    # Only if a test drew something: a test that skipped for want of matplotlib imported no pyplot.
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
