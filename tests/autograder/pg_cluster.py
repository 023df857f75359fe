"""A throw-away PostgreSQL server for tests: ``initdb`` into a temporary folder, ``pg_ctl start``
listening only on a unix socket in that folder, one database, then stop and remove everything.

Nothing is installed or configured by hand: the server binaries are Debian's ``postgresql``
package (``/usr/lib/postgresql/<version>/bin``; ``.ci/run`` installs it).  PostgreSQL refuses to
run as root, so as root the server runs as Debian's ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from collections.abc import Iterator

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = ("install Debian's PostgreSQL server with `sudo apt-get install postgresql` "
                "(.ci/run does this when it runs as root)")


class Unavailable(RuntimeError):
    """No usable PostgreSQL server here (binaries or the unprivileged user are missing)."""


def _version_key(path: Path) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bin_dir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``: the one of ``pg_ctl`` on PATH
    (followed through symlinks such as ``/usr/local/bin/pg_ctl``), else Debian's newest
    ``/usr/lib/postgresql/<version>/bin``.  Raises :class:`Unavailable` when there is none."""
    candidates = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for d in candidates:
        if all(os.access(d / p, os.X_OK) for p in SERVER_PROGRAMS):
            return d
    raise Unavailable(f"no PostgreSQL server binaries ({', '.join(SERVER_PROGRAMS)}) on PATH or in "
                      f"/usr/lib/postgresql/*/bin: {INSTALL_HINT}")


def _server_user() -> str | None:
    """``None`` to run the server as ourselves; ``'postgres'`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root, and PostgreSQL refuses to: no unprivileged `postgres` "
                          f"user to run it as; {INSTALL_HINT}") from None
    return "postgres"


def check_available() -> None:
    """Raise :class:`Unavailable` (with an install hint) unless :func:`cluster` can start a server."""
    find_bin_dir()
    _server_user()


def admin_url(url: str) -> str:
    """The URL of the same server's ``postgres`` database (to create or drop databases)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def create_database(url: str) -> str:
    """Create the database named in ``url`` on its server; return ``url``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url


@contextlib.contextmanager
def cluster(dbname: str = "lstmlab") -> Iterator[str]:
    """Start a server, create ``dbname``; yield its SQLAlchemy URL
    (``postgresql://postgres@/DBNAME?host=SOCKET_DIR``); stop the server and delete its files."""
    bin_dir, user = find_bin_dir(), _server_user()
    # Not under pytest's tmp_path: its parents are private to root, and the server user must
    # reach the socket folder; a short path also keeps the socket under the 107-byte limit.
    root = Path(tempfile.mkdtemp(prefix="lstmlab-pg-"))
    data, log = root / "data", root / "server.log"
    if user:
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)

    def run(*cmd: str) -> None:
        prefix = ["runuser", "-u", user, "--"] if user else []
        proc = subprocess.run(prefix + list(cmd), capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode:
            server_log = log.read_text() if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                               f"{server_log[-3000:]}")

    started = False
    try:
        # trust: the socket folder is private to the server user (and root), no password needed.
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-sync")
        # Only a unix socket (no TCP port to collide with another run); fsync off: throw-away data.
        opts = f"-c listen_addresses='' -c unix_socket_directories={root} -c fsync=off -c port=5432"
        run(str(bin_dir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data), "-l", str(log), "-o", opts)
        started = True
        yield create_database(f"postgresql://postgres@/{dbname}?host={root}")
    finally:
        if started:
            run(str(bin_dir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(data))
        shutil.rmtree(root, ignore_errors=True)
