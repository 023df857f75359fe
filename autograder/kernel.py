"""A Jupyter kernel manager whose kernel runs inside :mod:`autograder.sandbox`.

nbgrader (and nbclient under it) talk to the kernel over ZeroMQ.  The kernel lives in
its own network namespace, so TCP on ``127.0.0.1`` would not reach the grader; the
``ipc`` transport uses Unix sockets in the kernel's scratch folder instead, which both
sides can open.  The kernel command nbgrader would run is replaced by ours (the
notebook's own kernelspec is never trusted) and wrapped by :func:`sandbox.wrap_command`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager

from .sandbox import REPO_ROOT, Limits, is_root, prepare_scratch, sandbox_uid, wrap_command


#: stderr file of the last kernel started in this process (read when a start fails).
LAST_STDERR = ""

#: Largest message accepted from a kernel.
MAX_MESSAGE_BYTES = 16 * 1024**2

#: The kernel's ``python -c`` program: ``ipykernel_launcher`` without the debugger.  ipykernel
#: imports debugpy (~0.1 s of CPU per kernel) only to offer a debugger that grading never
#: uses; ``None`` in ``sys.modules`` makes that import fail, which ipykernel handles.
KERNEL_MAIN = """\
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]  # as ipykernel_launcher: not the working folder while ipykernel loads
sys.modules["debugpy"] = None
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""


class SandboxedKernelClient(AsyncKernelClient):
    """``AsyncKernelClient`` that does not sit idle once the kernel has answered.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until it stays silent for
    0.2 s: a fixed 0.2 s of idle wall time per kernel.  nbclient ignores IOPub messages that
    answer other requests, so draining what already arrived is enough.
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    # IOPub connected (the kernel's status messages reach us)? Else ask again.
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:  # drain, without waiting for silence
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break

    wait_for_ready = _async_wait_for_ready


class SandboxedKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` that starts ``ipykernel`` in a bubblewrap sandbox.

    Args:
        limits: resource limits of the kernel.
        slot: worker slot; selects the unprivileged uid when the grader is root.
        ecf: whether the assignment gives error-carried-forward credit (the kernel's ``LSTMLAB_ECF``).
    """

    def __init__(self, limits: Limits | None = None, slot: int = 0, ecf: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.limits = limits or Limits()
        self.slot = slot
        self.ecf = ecf
        self.scratch = prepare_scratch(Path(tempfile.mkdtemp(prefix="agk-", dir=scratch_parent())), slot)
        self.transport = "ipc"
        self.ip = str(self.scratch / "s")
        self.connection_file = str(self.scratch / "kernel.json")
        # A single message larger than this cuts the link (the cell then times out) instead of
        # making the grader decode gigabytes: our sockets refuse it (ZeroMQ MAXMSGSIZE).
        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        # The client connects before the kernel has bound its sockets; ZeroMQ retries every
        # 100 ms by default, i.e. up to 0.1 s idle per kernel start.
        self.context.setsockopt(zmq.RECONNECT_IVL, 10)
        self.client_factory = SandboxedKernelClient

    def format_kernel_cmd(self, extra_arguments=None):
        # Called after the connection file is written: let the sandbox's uid read it.
        if is_root() and os.path.exists(self.connection_file):
            os.chown(self.connection_file, sandbox_uid(self.slot), sandbox_uid(self.slot))
        argv = [sys.executable, "-c", KERNEL_MAIN, "-f", self.connection_file]
        argv += list(extra_arguments or [])
        return wrap_command(argv, self.scratch, self.limits, self.slot, self.ecf)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # The kernel's own stdout/stderr (banners, crash dumps) stay out of the grader's terminal;
        # the start of stderr is kept for the report when a kernel fails to start.
        global LAST_STDERR
        drop_stderr()
        LAST_STDERR = str(self.scratch) + ".stderr"
        kw["stdout"] = subprocess.DEVNULL
        kw["stdin"] = subprocess.DEVNULL
        with open(LAST_STDERR, "wb") as stderr:  # the child keeps its own copy of the descriptor
            kw["stderr"] = stderr
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def start_kernel(self, **kw) -> None:
        # AsyncKernelManager.start_kernel is KernelManager._async_start_kernel itself (not a
        # call through self): wrapped here so that a kernel that fails to start (launch error,
        # post-start error) is stopped and its scratch folder removed -- nbclient then raises
        # without ever cleaning up a manager it did not create.
        try:
            await KernelManager._async_start_kernel(self, **kw)
        except BaseException:
            try:
                if self.has_kernel:
                    await self._async_kill_kernel()
            finally:
                await self._async_cleanup_resources()
            raise

    async def _async_wait(self, pollinterval: float = 0.01) -> None:
        # After a kill jupyter_client polls the process every 0.1 s; it is gone in a few ms.
        await super()._async_wait(pollinterval=pollinterval)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await KernelManager._async_cleanup_resources(self, restart=restart)
        if not restart:
            if is_root():
                wait_for_uid_gone(sandbox_uid(self.slot))
            shutil.rmtree(self.scratch, ignore_errors=True)

    # AsyncKernelManager binds cleanup_resources to KernelManager's function, past any
    # override: nbclient calls it (and not shutdown_kernel) for a kernel that already died
    # (os._exit, memory limit), which left the scratch folder behind.
    cleanup_resources = _async_cleanup_resources


def scratch_parent() -> str:
    """Folder of the kernels' scratch folders: ``TMPDIR`` when its path is short, else ``/tmp``.

    Short because the Unix sockets inside live at ``<parent>/agk-XXXXXXXX/s-N`` and a socket
    path is limited to ~107 bytes.
    """
    parent = tempfile.gettempdir()
    return parent if len(parent) <= 64 else "/tmp"


def compile_bytecode(folder: Path = REPO_ROOT / "lstmlab") -> bool:
    """Write the bytecode of ``folder``'s modules (``__pycache__``) where it is missing or stale.

    The kernel sees the repository's ``lstmlab`` read-only (and runs with
    ``PYTHONDONTWRITEBYTECODE``), so without it every kernel compiles each module it imports
    from source -- ``lstmlab.grading`` once per test cell, since the prelude re-imports it.
    Returns False when the folder is not writable (the kernels then compile, as before).
    """
    import compileall

    try:
        return bool(compileall.compile_dir(str(folder), quiet=2, workers=1))
    except OSError:
        return False


def drop_stderr() -> None:
    """Remove the kept stderr file of the last kernel."""
    if LAST_STDERR:
        try:
            os.remove(LAST_STDERR)
        except OSError:
            pass


def uid_processes(uid: int) -> list[dict[str, str]]:
    """``{"pid", "state", "name", "threads"}`` of each live process whose real uid is ``uid``
    (from /proc): the one scan behind :func:`processes_of` and the worker's failure report."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:  # the process ended while we looked
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            found.append({"pid": pid, "state": (fields.get("State", "?").split() or ["?"])[0],
                          "name": fields.get("Name", "?"), "threads": fields.get("Threads", "?")})
    return found


def processes_of(uid: int) -> int:
    """Number of live processes whose real uid is ``uid``."""
    return len(uid_processes(uid))


def wait_for_uid_gone(uid: int, timeout: float = 10.0) -> None:
    """Wait until the processes of a killed sandbox are gone.

    RLIMIT_NPROC counts every process of the uid, and the slot's next kernel reuses it: a
    fork bomb still being reaped must not starve the next student's kernel of threads.
    """
    deadline = time.monotonic() + timeout
    while processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
