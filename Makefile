# lstmlab: `make book` builds the book, `make test` runs the tests.
# Both create or update .venv from requirements.txt first (a no-op when nothing changed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader shells out to alembic, jupyter-book to jupyter: the venv's bin must be on PATH.
export PATH := $(BIN):$(PATH)

.PHONY: venv book book-strict test test-fast grade bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

## The book: incremental, strict (warnings are errors), executed notebooks cached in _build.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

## Clean strict build of every page, as CI does.
book-strict: $(STAMP)
	$(BIN)/jupyter-book build . --all -W -n --keep-going

## All tests (the book build and nbgrader end-to-end tests included).
test: $(STAMP)
	$(BIN)/python -m pytest

## Unit tests only: skips the book build, nbgrader and browser tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser"

## Autograder demonstration: release the assignments, make example submissions (correct,
## partial, broken, not a notebook, empty) and grade one assignment into grading-out/demo.
## As root on Debian/Ubuntu it first installs bubblewrap (.ci/apt-ensure, as .ci/run does).
GRADE_ASSIGNMENT ?= rnn
grade: $(STAMP)
	@.ci/apt-ensure bwrap bubblewrap "the autograder runs learner code only in a bubblewrap sandbox"
	$(BIN)/python -m autograder release
	rm -rf grading-out/demo && mkdir -p grading-out/demo
	$(BIN)/python -m autograder.examples autograder/release/$(GRADE_ASSIGNMENT) notebooks/$(GRADE_ASSIGNMENT) \
		grading-out/demo/submissions alice=correct bob=partial carol=broken
	mkdir -p grading-out/demo/submissions/dave grading-out/demo/submissions/erin
	echo 'not a notebook' > grading-out/demo/submissions/dave/$(GRADE_ASSIGNMENT).ipynb
	$(BIN)/python -m autograder grade $(GRADE_ASSIGNMENT) grading-out/demo/submissions --out grading-out/demo --force
	@echo "open grading-out/demo/report.html; grades in grading-out/demo/grades.csv"

bench: $(STAMP)
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf _build .pytest_cache .hypothesis
