"""The lstmlab autograder: nbgrader plus a sandbox, parallel workers and a report.

Run ``python -m autograder --help``.  Modules, in the order a ``grade`` run uses them:

* :mod:`~autograder.cli` -- the command line (``release``, ``grade``);
* :mod:`~autograder.course` -- the course folder, its configuration (``nbgrader_config.py``)
  and nbgrader's apps; :mod:`~autograder.gradebook_lock` -- one generator at a time on a
  shared gradebook;
* :mod:`~autograder.pool` -- the worker processes, started first;
  :mod:`~autograder.lazy_imports` -- imports deferred so that they start fast;
* :mod:`~autograder.sandbox` -- bubblewrap + prlimit, the limits' defaults, slot leases;
* :mod:`~autograder.preflight` -- before the first student, a sandboxed kernel must import
  the grader's own ``lstmlab.grading`` (exit 2 otherwise);
* :mod:`~autograder.collect` -- reading and checking the submissions;
* :mod:`~autograder.pipeline` -- the batch: workers' results merged into the gradebook,
  ``grades.csv``, the end-of-run summary;
* :mod:`~autograder.worker` -- one student in a scratch course;
  :mod:`~autograder.results` -- what crosses the process boundary (dataclasses);
* :mod:`~autograder.execute` and :mod:`~autograder.kernel` -- the sandboxed execution;
  :mod:`~autograder.verify` -- passed test cells replayed outside the kernel;
* :mod:`~autograder.flags` -- every reason to flag a submission, and environment errors;
* :mod:`~autograder.feedback` -- the feedback pages and the notes cell;
* :mod:`~autograder.report` -- ``report.html``;
* :mod:`~autograder.schema_cache` -- faster nbgrader metadata checks;
* :mod:`~autograder.examples` -- example submissions (``make grade``, tests, benchmarks).
"""

from .lazy_imports import defer_rfc3987_syntax as _defer_rfc3987_syntax

_defer_rfc3987_syntax()
