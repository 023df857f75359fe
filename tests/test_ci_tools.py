"""Under CI, the system tools that some tests skip without must be there.

Locally the browser check (Chromium), the autograder's end-to-end tests (bubblewrap) and the
PostgreSQL gradebook test skip with an install hint when their tool is missing.  `.ci/run`
installs all three; if an install fails there, this test fails, so CI cannot go green while
silently testing less.
"""

import glob
import os
import shutil

import pytest

pytestmark = pytest.mark.skipif(not os.environ.get("CI"), reason="only CI must have every tool (.ci/run installs them)")


@pytest.mark.parametrize("tool, found", [
    ("chromium (Debian package chromium)", lambda: os.path.exists("/usr/bin/chromium")),
    ("bubblewrap (Debian package bubblewrap)", lambda: shutil.which("bwrap") is not None),
    ("PostgreSQL server (Debian package postgresql)",
     lambda: shutil.which("pg_ctl") is not None or bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))),
])
def test_ci_has_the_tool(tool, found):
    assert found(), f"{tool} is missing: .ci/run should have installed it"
