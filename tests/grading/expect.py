"""One helper the grading tests share: run a check that must fail, and return what it says."""

from __future__ import annotations

import pytest


def failure_message(check, *args, **kwargs) -> str:
    """The AssertionError message of ``check(*args, **kwargs)``; the test fails if it passes."""
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)
