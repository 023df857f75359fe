"""The nbgrader course folder: configuration, assignment sources, running nbgrader's apps.

A *course folder* is nbgrader's layout (``source/ release/ submitted/ autograded/
feedback/`` and a gradebook).  The repository's one is ``autograder/`` itself; tests and
the parallel workers use throw-away ones.  Instructor notebooks live in ``notebooks/``
(``notebooks/<assignment>/<notebook>.ipynb``) and are copied into ``source/`` before
nbgrader reads them.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import gradebook_lock

AUTOGRADER_DIR = Path(__file__).resolve().parent
REPO_ROOT = AUTOGRADER_DIR.parent
DEFAULT_SOURCE = REPO_ROOT / "notebooks"
CONFIG_FILE = AUTOGRADER_DIR / "nbgrader_config.py"


class GradingError(RuntimeError):
    """An nbgrader step failed for a reason the instructor must fix (not a learner's fault)."""


def setup_environment() -> None:
    """Put the venv's ``bin`` on PATH: nbgrader shells out to ``alembic`` from there."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + (os.pathsep + path if path else "")


def quiet_warnings() -> None:
    """Silence nbgrader's SQLAlchemy 2 autoflush warnings (harmless, and one per student)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)
    # nbgrader re-adds a deleted test cell without a cell id; nbformat fills it in.
    warnings.filterwarnings("ignore", message="Cell is missing an id field")


def sqlite_url(path: Path) -> str:
    return "sqlite:///" + str(Path(path).resolve())


def load_config(course_root: Path, db_url: str | None = None, **execute) -> Config:
    """The course configuration from ``nbgrader_config.py``, pointed at ``course_root``.

    Args:
        course_root: the course folder to use.
        db_url: SQLAlchemy URL of the gradebook; default ``course_root/gradebook.db``.
        **execute: overrides of ``SandboxedExecute`` traits (``cell_timeout=5``...);
            ``None`` values are ignored.
    """
    cfg = PyFileConfigLoader(CONFIG_FILE.name, path=str(AUTOGRADER_DIR)).load_config()
    cfg.CourseDirectory.root = str(Path(course_root).resolve())
    cfg.CourseDirectory.db_url = db_url or sqlite_url(Path(course_root) / "gradebook.db")
    for name, value in execute.items():
        if value is not None:
            setattr(cfg.SandboxedExecute, name, value)
    return cfg


def list_assignments(source_dir: Path) -> list[str]:
    """Assignments in ``source_dir``: sub-folders holding at least one notebook."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise ValueError(
            f"source: expected a folder of assignments (<source>/<assignment>/<notebook>.ipynb), "
            f"got {str(source_dir)!r} which is not a folder; hint: pass --source DIR"
        )
    return sorted(p.name for p in source_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def check_assignment(source_dir: Path, assignment: str) -> Path:
    """Return ``source_dir/assignment`` or raise ``ValueError`` listing the known ones."""
    known = list_assignments(source_dir)
    if assignment not in known:
        raise ValueError(
            f"assignment: expected one of {known} (folders of {source_dir}), got {assignment!r}; "
            "hint: the assignment name is the folder name under notebooks/"
        )
    return Path(source_dir) / assignment


def sync_source(source_dir: Path, course_root: Path, assignment: str) -> Path:
    """Copy the instructor's ``source_dir/assignment`` into ``course_root/source/assignment``."""
    src = check_assignment(source_dir, assignment)
    dest = Path(course_root) / "source" / assignment
    if dest.resolve() != src.resolve():
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(src, dest, ignore=_ignore_sources)
    return dest


def _ignore_sources(folder, names):
    """Never copy checkpoints, caches, or the jupytext twin (``x.py`` / ``x.md`` of ``x.ipynb``):
    nbgrader would release the twin, solutions and hidden tests included, as a data file."""
    stems = {n[:-6] for n in names if n.endswith(".ipynb")}
    return {n for n in names if n in (".ipynb_checkpoints", "__pycache__")
            or (Path(n).suffix in (".py", ".md") and Path(n).stem in stems)}


def run_app(app) -> str:
    """Run an nbgrader app in this process; return its log, raise ``GradingError`` on failure."""
    from nbgrader.utils import capture_log

    setup_environment()
    quiet_warnings()
    result = capture_log(app)
    if not result["success"]:
        raise GradingError(
            f"nbgrader {type(app).__name__} failed:\n{result.get('log', '')}\n{result.get('error', '')}"
        )
    return result.get("log", "")


def coursedir(cfg: Config, **attrs):
    from nbgrader.coursedir import CourseDirectory

    cd = CourseDirectory(config=cfg)
    for k, v in attrs.items():
        setattr(cd, k, v)
    return cd


def generate_assignment(cfg: Config, assignment: str) -> str:
    """``nbgrader generate_assignment``: student version in ``release/`` + gradebook entries."""
    from nbgrader.converters import GenerateAssignment

    app = GenerateAssignment(coursedir=coursedir(cfg, assignment_id=assignment), config=cfg)
    app.force = True
    app.create_assignment = True
    return run_app(app)


def source_digest(source_dir: Path, assignment: str) -> str:
    """SHA-256 of the instructor files of ``assignment`` that nbgrader reads."""
    import hashlib

    src = Path(source_dir) / assignment
    h = hashlib.sha256()
    for f in sorted(p for p in src.rglob("*") if p.is_file()):
        if _ignore_sources(str(f.parent), [f.name]):
            continue
        h.update(str(f.relative_to(src)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _has_assignment(db_url: str, assignment: str) -> bool:
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(db_url) as gb:
            gb.find_assignment(assignment)
        return True
    except MissingEntry:
        return False


def ensure_generated(cfg: Config, source_dir: Path, assignment: str) -> bool:
    """Run ``generate_assignment`` unless this course already did for the same sources.

    The digest of the sources is kept in ``COURSE/work/<assignment>.source-digest``;
    returns whether nbgrader ran.
    """
    root = Path(cfg.CourseDirectory.root)
    stamp = root / "work" / f"{assignment}.source-digest"
    digest = source_digest(source_dir, assignment)
    # Graders sharing a PostgreSQL gradebook must not create its tables or generate at once.
    with gradebook_lock.exclusive(cfg.CourseDirectory.db_url):
        if (stamp.exists() and stamp.read_text() == digest and (root / "release" / assignment).is_dir()
                and _has_assignment(cfg.CourseDirectory.db_url, assignment)):
            return False
        sync_source(source_dir, root, assignment)
        generate_assignment(cfg, assignment)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    return True
