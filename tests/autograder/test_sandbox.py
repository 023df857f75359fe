"""The sandbox a learner's kernel runs in: what it hides, and that its limits are in force.

These run tiny Python programs in the sandbox (a second or two each).  The fork and
memory probes are bounded: they stop at the limit or after a fixed count.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.sandbox import Limits, run_in_sandbox

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap not installed (apt-get install -y bubblewrap)"
)

REPO = Path(__file__).resolve().parents[2]


def probe(tmp_path, code, **limits):
    proc = run_in_sandbox(code, tmp_path / "k", Limits(**limits), slot=3, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_limits_in_force(tmp_path):
    """RLIMIT_NPROC, RLIMIT_AS and RLIMIT_FSIZE stop a program that goes past them."""
    out = probe(tmp_path, r"""
import os, time
n = 0
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(2)
        os._exit(0)
    n += 1
print("forks", n)
try:
    b = bytearray(3 * 1024**3)
    print("alloc ok")
except MemoryError:
    print("alloc refused")
import signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
try:
    with open("big", "wb") as f:
        f.write(b"x" * (2 * 1024**2))
    print("file ok")
except OSError:
    print("file refused")
""", nproc=24, memory_bytes=1024**3, fsize_bytes=1024**2)
    forks = int(out.split("forks ")[1].split()[0])
    assert forks < 24, out
    assert "alloc refused" in out and "file refused" in out


def test_hides_repository_gradebook_and_network(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    out = probe(tmp_path, f"""
import os, socket
for p in [{str(REPO / 'notebooks')!r}, {str(REPO / 'autograder')!r}, {str(REPO / 'README.md')!r},
          {str(secret)!r}, {str(REPO / 'tests')!r}]:
    print(p, os.path.exists(p))
import lstmlab
print("lstmlab", lstmlab.__file__)
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("1.1.1.1", 80))
    print("network yes")
except OSError:
    print("network no")
print("env", sorted(os.environ))
print("uid", os.getuid())
try:
    open("/usr/owned", "w")
    print("usr writable")
except OSError:
    print("usr read-only")
""")
    for hidden in ("notebooks", "autograder", "README.md", "secret.txt", "tests"):
        line = next(line for line in out.splitlines() if line.split(" ")[0].endswith(hidden))
        assert line.endswith("False"), line
    assert "lstmlab " in out and "network no" in out and "usr read-only" in out
    env = out.split("env ")[1].splitlines()[0]
    assert "PATH" in env and "DATABASE" not in env and "PWD" not in env
    if sandbox.is_root():
        assert f"uid {sandbox.sandbox_uid(3)}" in out


def test_wrap_command_structure(tmp_path):
    cmd = sandbox.wrap_command(["python", "-c", "1"], tmp_path, Limits(nproc=7, memory_bytes=10**9))
    assert cmd[0].endswith("bwrap") and "--unshare-net" in cmd and "--die-with-parent" in cmd
    assert "--nproc=7" in cmd and "--as=1000000000" in cmd
    assert cmd[-3:] == ["python", "-c", "1"]
    # nothing of the repository is bound except lstmlab
    binds = [cmd[i + 1] for i, a in enumerate(cmd) if a in ("--ro-bind", "--bind")]
    assert str(REPO / "lstmlab") in binds
    assert not any(b in (str(REPO), str(REPO / "notebooks"), str(REPO / "autograder")) for b in binds)


def test_slots_are_leased_machine_wide(tmp_path):
    """Two grading runs never get the same slot (so never the same sandbox uid), a slot is
    free again once its holder ends, and a full machine says so."""
    slot, fd = sandbox.lease_slot(0, tmp_path)
    other, other_fd = sandbox.lease_slot(0, tmp_path)  # another worker asking for slot 0 too
    assert (slot, other) == (0, 1)
    os.close(fd)
    again, again_fd = sandbox.lease_slot(0, tmp_path)
    assert again == 0
    # Another process holding two slots (another grading run): we get the next free one.
    code = (f"import sys, time\nsys.path.insert(0, {str(REPO)!r})\nfrom autograder import sandbox\n"
            f"held = [sandbox.lease_slot(0, {str(tmp_path)!r}) for _ in range(2)]\n"
            "print([s for s, _ in held], flush=True)\ntime.sleep(60)")
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout.readline().strip() == "[2, 3]"
            four, four_fd = sandbox.lease_slot(2, tmp_path)
            assert four == 4
        finally:
            holder.kill()
    freed, freed_fd = sandbox.lease_slot(2, tmp_path)
    assert freed == 2  # the killed run's locks ended with it
    for held in (other_fd, again_fd, four_fd, freed_fd):
        os.close(held)


def test_no_free_slot_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_SLOTS", 2)
    held = [sandbox.lease_slot(0, tmp_path) for _ in range(2)]
    with pytest.raises(RuntimeError, match="all 2 sandbox slots are held.*fewer --jobs"):
        sandbox.lease_slot(0, tmp_path)
    for _, fd in held:
        os.close(fd)
