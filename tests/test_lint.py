"""The linter is part of the test suite: `ruff check` with the rules in pyproject.toml.

Run it by hand with ``.venv/bin/ruff check`` (add ``--fix`` for the fixable findings).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the issue asked the linter to cover; pyproject.toml's [tool.ruff] include lists them.
COVERED = ["lstmlab/", "autograder/", "tests/", "bench/", "experiments/", "notebooks/build.py", "notebooks/rnn/rnn.py",
           "book/editions.py", "book/_ext/"]


def _ruff(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    # --no-cache: the test leaves no .ruff_cache behind in the working tree.
    return subprocess.run([sys.executable, "-m", "ruff", *args, "--no-cache"], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_ruff_finds_nothing():
    result = _ruff("check", "--output-format", "concise")
    assert result.returncode == 0, (
        f"ruff check found problems (fix them, or explain a noqa):\n{result.stdout}{result.stderr}")


def test_ruff_covers_every_source_folder():
    result = _ruff("check", "--show-files")
    assert result.returncode == 0, result.stderr
    files = [Path(line).resolve().relative_to(ROOT).as_posix()
             for line in result.stdout.split() if line.endswith(".py")]
    for target in COVERED:
        assert any(f == target or (target.endswith("/") and f.startswith(target)) for f in files), (
            f"ruff does not check {target}; add it to [tool.ruff] include in pyproject.toml")
    # Generated nbgrader folders are not source.
    assert not any(f.startswith("autograder/release/") for f in files)


def test_ruff_applies_the_configured_rules():
    # A file with an unused import, a mutable default and a 130-column line, as if in lstmlab/:
    # the configuration must report each (F401 pyflakes, B006 bugbear, E501 at 120 columns).
    source = "import os\n\n\ndef f(x=[]):\n    return x  # " + "y" * 110 + "\n"
    result = _ruff("check", "--output-format", "concise", "--stdin-filename", "lstmlab/example.py", "-", stdin=source)
    assert result.returncode == 1, result.stdout + result.stderr
    for code in ("F401", "B006", "E501"):
        assert code in result.stdout, f"{code} not reported:\n{result.stdout}"
