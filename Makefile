# lstmlab: `make book` builds the book, `make test` runs the tests.
# Both create or update .venv from requirements.txt first (a no-op when nothing changed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader shells out to alembic, jupyter-book to jupyter: the venv's bin must be on PATH.
export PATH := $(BIN):$(PATH)

.PHONY: venv book book-en book-zh book-strict translations test test-fast grade bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

## The book, both editions: English into _build/html, Chinese into _build/html/zh.
## Incremental and strict (warnings are errors); executed notebooks are cached in _build and
## shared by the two editions, so the code runs once.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/python book/editions.py build zh_CN --strict

## The English edition alone.
book-en: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

## The Chinese edition alone (from book/locales/zh_CN; reuses the English build's execution cache).
book-zh: $(STAMP)
	$(BIN)/python book/editions.py build zh_CN --strict

## Clean strict build of every page of both editions, as CI does.
book-strict: $(STAMP)
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	$(BIN)/python book/editions.py build zh_CN --all --strict

## After editing English text: refresh the Chinese catalogues (new messages empty, changed ones
## fuzzy), then list per page what is left to translate.
translations: $(STAMP)
	$(BIN)/python book/editions.py update
	$(BIN)/python book/editions.py stats

## All tests (the book build and nbgrader end-to-end tests included).
test: $(STAMP)
	$(BIN)/python -m pytest

## Unit tests only: skips the book build, nbgrader and browser tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser"

## Autograder demonstration: release the assignments, make example submissions (correct,
## partial, broken, not a notebook, empty) and grade one assignment into grading-out/demo.
GRADE_ASSIGNMENT ?= rnn
grade: $(STAMP)
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
