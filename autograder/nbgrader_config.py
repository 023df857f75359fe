"""nbgrader configuration of the lstmlab course.

Read by ``python -m autograder`` (which overrides the course folder and the database when
asked to), and by the plain ``nbgrader`` command run from this folder (``cd autograder &&
nbgrader formgrader`` for manual grading).  Every path is relative to this file, so the
repository works wherever it is cloned.  The work folders (``source/ release/ submitted/
autograded/ feedback/ work/``) and ``gradebook.db`` are generated, never committed.
"""

import os

c = get_config()  # noqa: F821 -- injected by traitlets' config loader

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "lstmlab"
c.CourseDirectory.root = HERE
# SQLite by default; `python -m autograder grade --db postgresql://...` uses any SQLAlchemy URL.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# What learners see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A learner who deletes a test cell still gets it run (and scored) from the gradebook.
c.OverwriteCells.add_missing_cells = True

# Learner code runs in a sandboxed kernel (autograder/execute.py), also under plain `nbgrader autograde`.
c.Autograde.autograde_preprocessors = [
    "autograder.execute.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
    # Last: the autograder's notes (recorded in the notebook's metadata) as the first cell.
    "autograder.feedback.NotesCell",
]
# Keep those notes through the metadata clean-up (nbconvert keeps only language_info.name).
c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {("language_info", "name"), ("autograder",)}

# Error-carried-forward credit: a backward exact for the learner's own (known-mistaken) forward
# earns its cell's points (lstmlab.grading).  List the assignments where it should not, e.g. ["rnn"].
c.SandboxedExecute.no_ecf = []

# Limits of one submission: their defaults are autograder.sandbox.Limits' (one place); set
# c.SandboxedExecute.cell_timeout, notebook_timeout, memory_bytes, nproc, fsize_bytes or
# output_chars here only to differ from them.  The CLI's --cell-timeout etc. override both.

# Feedback shows at most this many lines of each cell's output and traceback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 100

# `zip_collect` (LMS downloads): archives and files are named `<student_id>_<anything>`;
# the autograder narrows `file_id` to the assignment's notebook names at run time.
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = r"^(?P<student_id>[^_]+)_(?:.*_)?(?P<file_id>[^_]+\.ipynb)$"
