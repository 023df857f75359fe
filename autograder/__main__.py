"""``python -m autograder``: see :mod:`autograder.cli`."""

import sys

# Before anything imports nbformat: outside the repository the editable install can load
# ``autograder`` as a namespace package, whose ``__init__`` (which does this too) never runs.
from .lazy_imports import defer_rfc3987_syntax

defer_rfc3987_syntax()

from .cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
