"""The sandbox a learner's kernel runs in: bubblewrap namespaces plus ``prlimit`` limits.

Only the Jupyter *kernel* (the process that executes the learner's code) is confined;
nbgrader itself, the gradebook and the instructor files stay outside.  The kernel sees:

* ``/usr``, ``/etc`` and the Python installation, read-only (it needs them to run);
* the virtual environment and the repository's ``lstmlab`` package, read-only
  (the hidden tests import ``lstmlab``) -- not the rest of the repository, so not
  ``notebooks/`` (instructor sources) nor ``autograder/`` (gradebook, submissions);
* one private scratch folder, read-write: its working directory, its ``HOME`` and the
  Unix sockets it talks to the grader through (ZeroMQ ``ipc`` transport, because a
  kernel in its own network namespace cannot reach the grader's ``127.0.0.1``);
* an empty ``/tmp`` (tmpfs), a minimal ``/dev`` and its own ``/proc``.

It has no network (own network namespace with only a down loopback), its own PID
namespace (everything it forks dies with it), a cleared environment (the grader's
variables, e.g. a database URL with a password, never reach it), and the limits of
:class:`Limits` set with ``prlimit``.  When the grader runs as root the kernel is
dropped to an unprivileged uid (one per worker slot, so that ``RLIMIT_NPROC``, which
Linux does not enforce for root, counts each sandbox on its own).  Slots are leased
machine-wide (:func:`lease_slot`), so two grading runs at once never share a uid.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

#: Unprivileged uids the kernel runs as when the grader is root: ``BASE + worker slot``.
SANDBOX_UID_BASE = 62000

#: Worker slots a machine can lease at once (uids BASE ... BASE + MAX_SLOTS - 1).
MAX_SLOTS = 256

#: One lock file per slot; a fixed path (not TMPDIR), so that every grading run on the machine sees it.
SLOT_LOCK_DIR = Path("/tmp/lstmlab-sandbox-slots")

REPO_ROOT = Path(__file__).resolve().parent.parent


class SandboxUnavailable(RuntimeError):
    """bubblewrap or prlimit is missing or cannot create namespaces on this machine."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-submission limits.

    Attributes:
        cell_timeout: seconds one cell may run before the kernel is stopped.
        notebook_timeout: seconds all cells of one notebook may run together.
        memory_bytes: address-space limit of each kernel process (``RLIMIT_AS``).
        nproc: processes *and threads* the sandbox may hold (``RLIMIT_NPROC``).
        fsize_bytes: largest file the kernel may write (``RLIMIT_FSIZE``).
        output_chars: characters of output kept per notebook; the rest is dropped.
    """

    cell_timeout: float = 120.0
    notebook_timeout: float = 600.0
    memory_bytes: int = 4 * 1024**3
    nproc: int = 128
    fsize_bytes: int = 64 * 1024**2
    output_chars: int = 200_000

    def __post_init__(self):
        for name in ("cell_timeout", "notebook_timeout", "memory_bytes", "nproc", "fsize_bytes", "output_chars"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(
                    f"Limits.{name} must be a positive number, got {value!r}; "
                    f"hint: use the defaults ({getattr(Limits, name)}) unless a notebook needs more"
                )


def _python_roots() -> list[Path]:
    """Folders the kernel's Python needs: the base installation and the venv."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    # The venv's python is a symlink into the base installation; bind its target too.
    roots.add(Path(os.path.realpath(sys.executable)).parent.parent)
    purelib = Path(sysconfig.get_paths()["purelib"]).resolve()
    if not any(purelib.is_relative_to(r) for r in roots):
        roots.add(purelib)
    return sorted(roots)


def readonly_paths() -> list[Path]:
    """Everything bound read-only into the sandbox besides the system folders."""
    paths = _python_roots()
    lstmlab = REPO_ROOT / "lstmlab"
    if lstmlab.is_dir():
        paths.append(lstmlab)
    # Drop paths nested in another one (binding them twice is harmless but noisy).
    paths = sorted(set(paths))
    return [p for p in paths if not any(p != q and p.is_relative_to(q) for q in paths)]


def _find(tool: str) -> str:
    path = shutil.which(tool) or (f"/usr/bin/{tool}" if os.path.exists(f"/usr/bin/{tool}") else None)
    if path is None:
        raise SandboxUnavailable(
            f"`{tool}` was not found; the autograder runs learner code only inside a sandbox. "
            "hint: on Debian/Ubuntu `apt-get install -y bubblewrap util-linux` (see README, 'Grading')"
        )
    return path


def is_root() -> bool:
    return os.geteuid() == 0


def lease_slot(preferred: int = 0, lock_dir: Path = SLOT_LOCK_DIR) -> tuple[int, int]:
    """A worker slot that no other process on this machine holds: ``(slot, lock fd)``.

    Keep the descriptor open for as long as the slot is used: the slot's ``flock`` ends with
    it, or with the process however it ends.  Two grading runs at once (two assignments,
    two graders) would otherwise both put their first kernel on uid ``BASE + 0``: one
    run's fork bomb would share ``RLIMIT_NPROC`` with the other's honest students, and each
    would wait for the other's kernels to end (:func:`autograder.kernel.wait_for_uid_gone`).
    Tries ``preferred`` first, then the next slots in turn.
    """
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for k in range(MAX_SLOTS):
        slot = (preferred + k) % MAX_SLOTS
        fd = os.open(lock_dir / f"{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return slot, fd
    raise RuntimeError(
        f"all {MAX_SLOTS} sandbox slots are held by other grading processes (locks in {lock_dir}); "
        "hint: wait for the other runs to finish, or give them fewer --jobs")


def sandbox_uid(slot: int) -> int:
    """The uid a kernel of worker ``slot`` runs as when the grader is root."""
    return SANDBOX_UID_BASE + slot


def _ancestor_dirs(paths) -> list[str]:
    """Every ancestor folder of ``paths``, parents first.

    bubblewrap (run as root) creates missing parents with mode 0700, which an
    unprivileged kernel cannot traverse; creating them ourselves with 0755 avoids that.
    """
    seen: list[str] = []
    for p in paths:
        parts = Path(p).parts
        for i in range(2, len(parts)):
            d = str(Path(*parts[:i]))
            if d not in seen:
                seen.append(d)
    return seen


#: File in the kernel's scratch folder where the checks write their evidence (lstmlab.evidence).
EVIDENCE_FILE = ".lstmlab-evidence.jsonl"


def kernel_environment(home: Path, ecf: bool = True) -> dict[str, str]:
    """The whole environment of the kernel: nothing is inherited from the grader.

    ``ecf``: whether the assignment gives error-carried-forward credit (``LSTMLAB_ECF``).
    """
    from lstmlab import evidence  # here, not at the top: the CLI imports this module before numpy

    return {
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "IPYTHONDIR": str(home / ".ipython"),
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "MPLBACKEND": "Agg",
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        # One thread per library: grades do not depend on the machine's core count, the
        # workers do not oversubscribe the CPUs, and threads stay well under RLIMIT_NPROC.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NBGRADER_EXECUTION": "autograde",
        # lstmlab.grading's checks record what the learner's code returned here, for the
        # grader to confirm outside the kernel (autograder/verify.py); lstmlab.evidence names it.
        evidence.ENV: str(home / EVIDENCE_FILE),
        evidence.ECF_ENV: "1" if ecf else "0",
    }


def wrap_command(argv: list[str], scratch: Path, limits: Limits, slot: int = 0, ecf: bool = True) -> list[str]:
    """Return ``argv`` wrapped so that it runs in the sandbox.

    Args:
        argv: the command to confine, e.g. ``[python, -m, ipykernel_launcher, -f, conn]``.
        scratch: the only writable folder; it becomes the working directory and ``HOME``.
        limits: the resource limits.
        slot: worker slot (selects the unprivileged uid when the grader is root).
        ecf: error-carried-forward credit on (see :func:`kernel_environment`).
    """
    bwrap, prlimit = _find("bwrap"), _find("prlimit")
    scratch = Path(scratch)
    ro = readonly_paths()
    cmd = [
        bwrap,
        "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session",
        "--ro-bind", "/usr", "/usr",
        "--ro-bind", "/etc", "/etc",
    ]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.path.realpath(f"/{link}")
        if target.startswith("/usr/"):
            cmd += ["--symlink", target.lstrip("/"), f"/{link}"]
    # /tmp first: a tmpfs mounted later would hide the folders created below.
    cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for d in _ancestor_dirs([*ro, scratch]):
        if d not in ("/usr", "/etc", "/tmp", "/proc", "/dev") and not d.startswith(("/usr/", "/etc/")):
            cmd += ["--perms", "0755", "--dir", d]
    for p in ro:
        cmd += ["--ro-bind", str(p), str(p)]
    cmd += [
        "--bind", str(scratch), str(scratch),
        "--chdir", str(scratch),
        "--",
    ]
    if is_root():
        # Root ignores RLIMIT_NPROC and could undo the mounts: drop to a plain uid.
        uid = sandbox_uid(slot)
        cmd += [
            _find("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
        ]
    cmd += [
        prlimit,
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.nproc}",
        f"--fsize={limits.fsize_bytes}",
        "--core=0",
        "--",
        "/usr/bin/env", "-i",
        *[f"{k}={v}" for k, v in kernel_environment(scratch, ecf).items()],
        *argv,
    ]
    return cmd


def prepare_scratch(scratch: Path, slot: int = 0) -> Path:
    """Create the kernel's scratch folder, writable by the sandbox's uid."""
    scratch = Path(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    scratch.chmod(0o700)
    if is_root():
        os.chown(scratch, sandbox_uid(slot), sandbox_uid(slot))
    return scratch


def run_in_sandbox(code: str, scratch: Path, limits: Limits, slot: int = 0, timeout: float = 60.0):
    """Run ``python -c code`` in the sandbox; return the ``CompletedProcess`` (text mode).

    Used by the self-check and the tests that prove the limits are in force.
    """
    prepare_scratch(scratch, slot)
    cmd = wrap_command([sys.executable, "-c", code], scratch, limits, slot)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def check_available() -> None:
    """Raise :class:`SandboxUnavailable` with a hint unless a trivial sandboxed run works."""
    import tempfile

    for tool in ("bwrap", "prlimit") + (("setpriv",) if is_root() else ()):
        _find(tool)
    with tempfile.TemporaryDirectory(prefix="ag-check-") as tmp:
        scratch = Path(tmp) / "k"
        try:
            proc = run_in_sandbox("print('sandbox-ok')", scratch, Limits(), timeout=60)
        finally:
            if is_root():
                shutil.rmtree(scratch, ignore_errors=True)
    if "sandbox-ok" not in proc.stdout:
        raise SandboxUnavailable(
            "bubblewrap is installed but could not start a sandbox "
            f"(exit {proc.returncode}): {proc.stderr.strip()[:500]}; "
            "hint: unprivileged user namespaces may be disabled "
            "(sysctl kernel.unprivileged_userns_clone=1) or the container forbids mounts"
        )
