"""The worker processes, started before anything heavy is imported.

Each worker spawns, takes a sandbox slot and imports the grading code (nbgrader, nbconvert,
nbclient: about a second of CPU).  This module imports only the standard library, so the
command line can start the workers first and let them import while the main process
imports the same code and prepares the batch (on 2 cores, the other core was idle then).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from pathlib import Path


def count(jobs: int, submissions: Path) -> int:
    """Workers for ``jobs`` (0 = one per CPU), never more than there are submissions."""
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs: expected a positive number of worker processes, got {jobs}; hint: --jobs 2")
    submissions = Path(submissions)
    entries = sum(1 for _ in submissions.iterdir()) if submissions.is_dir() else 1
    return min(jobs, max(entries, 1))


def start(workers: int) -> cf.ProcessPoolExecutor:
    """``workers`` spawned processes, each with its own sandbox slot, warming up at once."""
    ctx = multiprocessing.get_context("spawn")
    slots = ctx.Queue()
    for i in range(workers):
        slots.put(i)
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_worker, initargs=(slots,))
    for _ in range(workers):
        pool.submit(warm_up)
    return pool


def init_worker(slots) -> None:
    """ProcessPool initializer (in the worker): see :func:`autograder.worker.init_worker`."""
    from . import schema_cache, worker

    worker.init_worker(slots)
    schema_cache.install()


def warm_up() -> None:
    """First task of each worker: import what grading needs (:func:`autograder.worker.warm_up`)."""
    from . import worker

    worker.warm_up()
