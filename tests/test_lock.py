"""requirements.lock must be the resolution of requirements.txt (`make lock` writes it).

pip-compile annotates every pin with where it comes from (``# via -r requirements.txt`` for a
direct requirement), so staleness shows without re-resolving: a direct requirement with no pin
or a pin outside its specifier, or a pin still attributed to requirements.txt that no longer
lists it, means someone edited requirements.txt and did not run ``make lock``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def direct_requirements(text: str) -> dict[str, Requirement]:
    """Named requirements of a requirements file (comments, options and ``-e`` lines skipped)."""
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        found[canonicalize_name(requirement.name)] = requirement
    return found


def lock_pins(text: str) -> tuple[dict[str, str], set[str]]:
    """``({name: version}, {names pip-compile attributes to requirements.txt})`` of a lock file."""
    pins, direct, current = {}, set(), None
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = match.group(2)
        elif current and re.search(r"#\s+(via\s+)?-r requirements\.txt$", line):
            direct.add(current)
    return pins, direct


def stale_entries(requirements_text: str, lock_text: str) -> list[str]:
    """Why the lock does not match the requirements (empty when it does)."""
    wanted = direct_requirements(requirements_text)
    pins, attributed = lock_pins(lock_text)
    problems = []
    for name, requirement in wanted.items():
        if name not in pins:
            problems.append(f"{requirement} has no pin in the lock")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{requirement} but the lock pins {name}=={pins[name]}")
    for name in sorted(attributed - set(wanted)):
        problems.append(f"the lock still pins {name}=={pins[name]} for requirements.txt, which no longer lists it")
    return problems


def test_lock_matches_requirements():
    problems = stale_entries(REQUIREMENTS.read_text(), LOCK.read_text())
    assert problems == [], "requirements.lock is out of date, run `make lock`: " + "; ".join(problems)


def test_lock_pins_every_package_exactly():
    lines = [line for line in LOCK.read_text().splitlines() if line and not line.startswith((" ", "#"))]
    loose = [line for line in lines if line != "-e ." and not PIN.match(line)]
    assert loose == [], f"lines of requirements.lock that are not exact pins: {loose}"
    pins, _ = lock_pins(LOCK.read_text())
    # Sphinx, the themes, nbgrader and their dependencies: well over a hundred packages.
    assert len(pins) > 100


def test_lock_stays_portable():
    """No machine-specific path, and torch without a local label (CUDA build on a GPU machine)."""
    text = LOCK.read_text()
    assert "file://" not in text
    pins, _ = lock_pins(text)
    assert pins["torch"] == "2.13.0", f"torch pinned as {pins['torch']!r}, expected the public release 2.13.0"
    assert not any(name.startswith("nvidia-") for name in pins), "CUDA-only wheels pinned in the lock"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda r: r + "black==25.1.0\n", "black==25.1.0 has no pin"),
        (lambda r: r.replace("numpy==2.4.6", "numpy==2.4.5"), "numpy==2.4.5 but the lock pins numpy==2.4.6"),
        (lambda r: r.replace("linkchecker==10.6.0\n", ""), "the lock still pins linkchecker"),
    ],
    ids=["added", "changed", "removed"],
)
def test_an_edited_requirements_file_is_caught(edit, expected):
    """The check itself works: each kind of edit without `make lock` is reported."""
    requirements = REQUIREMENTS.read_text()
    edited = edit(requirements)
    assert edited != requirements
    problems = stale_entries(edited, LOCK.read_text())
    assert any(expected in problem for problem in problems), problems
