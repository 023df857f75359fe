"""The lstmlab autograder: nbgrader plus a sandbox, parallel workers and a report.

Run ``python -m autograder --help``.  Modules: :mod:`~autograder.cli` (command line),
:mod:`~autograder.course` (course folder, config, nbgrader apps), :mod:`~autograder.collect`
(checking submissions), :mod:`~autograder.pipeline` (the batch), :mod:`~autograder.worker`
(one student), :mod:`~autograder.execute` and :mod:`~autograder.kernel` (sandboxed execution),
:mod:`~autograder.sandbox` (bubblewrap + prlimit), :mod:`~autograder.report` (report.html),
:mod:`~autograder.pool` (worker processes), :mod:`~autograder.schema_cache` (faster metadata checks).
"""

from .lazy_imports import defer_rfc3987_syntax as _defer_rfc3987_syntax

_defer_rfc3987_syntax()
