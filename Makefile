# lstmlab: `make book` builds the book, `make test` runs the tests.
# Both create or update .venv from requirements.lock first (a no-op when nothing changed).
# requirements.txt lists the direct dependencies; `make lock` resolves it into requirements.lock,
# which pins every package, transitive ones included (see the README, "The locked environment").

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader shells out to alembic, jupyter-book to jupyter: the venv's bin must be on PATH.
export PATH := $(BIN):$(PATH)

.PHONY: venv lock notebooks book book-en book-zh book-strict translations test test-fast grade bench clean

# The lock pins pip and setuptools too (--allow-unsafe): nothing in .venv is left to chance.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@touch $(STAMP)

venv: $(STAMP)

## Re-resolve requirements.txt into requirements.lock (after editing requirements.txt), then
## `make venv` installs it. pip-compile keeps the lock's existing pins where they still fit;
## `make lock LOCK_FLAGS=--upgrade` moves every package to its newest allowed release.
## Two rewrites keep the lock portable: pip-compile writes the editable package as an absolute
## file:// URL (made `-e .` again), and writes torch with the local label of the build it found
## (here the CPU wheel, `+cpu`); without the label `torch==X` installs the CPU build here and
## the CUDA build of the same release from PyPI on a Linux GPU machine.
LOCK_FLAGS ?=
lock:
	@test -x $(BIN)/pip-compile || { echo "pip-compile is missing: run make venv first (pip-tools is in requirements.txt)"; exit 1; }
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		$(LOCK_FLAGS) --output-file=requirements.lock requirements.txt
	sed -i -e 's|^-e file://.*$$|-e .|' -e 's|^torch==\([^+]*\)+.*$$|torch==\1|' requirements.lock

## Chapter notebooks for the launch buttons (Colab, Binder): book/*.ipynb, with repository.url
## from _config.yml in each hidden install cell. Run after setting the URL, and commit them.
notebooks: $(STAMP)
	$(BIN)/python book/_ext/chapter_notebooks.py

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
