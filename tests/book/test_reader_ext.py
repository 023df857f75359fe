"""book/_ext: launch buttons lead somewhere or do not show, a chapter notebook installs lstmlab, Chinese is marked.

* with ``repository.url`` the placeholder, no launch or repository button (the built pages are
  checked in ``test_reader.py``); with a real URL Binder and Colab stay and the build insists on
  the chapters' ``.ipynb`` files;
* ``make notebooks`` writes every chapter as a notebook whose hidden install cell names the
  configured repository;
* that cell, run by a Python without lstmlab, installs the package from a git repository so
  that the chapter's data (``book/data``) is found (slow: a fresh venv and a pip install).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import chapter_notebooks  # noqa: E402
import lstmlab_reader  # noqa: E402

REAL = "https://github.com/example-university/rnn-course"
THEME = {
    "repository_url": lstmlab_reader.PLACEHOLDER_REPOSITORY,
    "use_repository_button": True,
    "launch_buttons": {
        "notebook_interface": "jupyterlab",
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "jupyterhub_url": "https://jupyterhub.example.edu",
        "thebe": False,
    },
}


def test_placeholder_repository_renders_no_launch_button():
    options = lstmlab_reader.launch_settings(THEME)
    assert options["launch_buttons"] == {"notebook_interface": "jupyterlab", "thebe": False}
    assert options["use_repository_button"] is False
    assert THEME["launch_buttons"]["colab_url"], "the input must not be changed"


def test_real_repository_keeps_binder_and_colab_but_not_a_placeholder_hub():
    options = lstmlab_reader.launch_settings({**THEME, "repository_url": REAL})
    launch = options["launch_buttons"]
    assert launch["binderhub_url"] == "https://mybinder.org"
    assert launch["colab_url"] == "https://colab.research.google.com"
    assert "jupyterhub_url" not in launch
    assert options["use_repository_button"] is True
    hub = {**THEME, "repository_url": REAL, "launch_buttons": {**THEME["launch_buttons"], "jupyterhub_url": "https://hub.uni.edu"}}
    assert lstmlab_reader.launch_settings(hub)["launch_buttons"]["jupyterhub_url"] == "https://hub.uni.edu"


def test_every_chapter_is_missing_its_notebook_until_make_notebooks(tmp_path):
    (tmp_path / "book").mkdir()
    for chapter in chapter_notebooks.chapters():
        (tmp_path / "book" / chapter.name).write_text(chapter.read_text(encoding="utf-8"))
    (tmp_path / "book" / "index.md").write_text("# no kernel\n")
    missing = lstmlab_reader.chapters_without_notebook(tmp_path)
    assert "book/01-rnn.md" in missing and "book/index.md" not in missing
    chapter_notebooks.write_notebooks(root=tmp_path, repository=REAL)
    assert lstmlab_reader.chapters_without_notebook(tmp_path) == []


def test_chapter_notebooks_install_from_the_configured_repository(tmp_path):
    written = chapter_notebooks.write_notebooks(repository=REAL, out_dir=tmp_path)
    assert len(written) >= 11  # ten chapters and the notation page
    for path in written:
        notebook = json.loads(path.read_text())
        install = [c for c in notebook["cells"] if "COURSE_REPOSITORY =" in "".join(c["source"])]
        assert len(install) == 1, path.name
        assert f'COURSE_REPOSITORY = "{REAL}"' in "".join(install[0]["source"]), path.name
        assert "remove-cell" in install[0]["metadata"].get("tags", []), f"{path.name}: install cell shows in the book"
        first_code = next(c for c in notebook["cells"] if c["cell_type"] == "code")
        assert first_code == install[0], f"{path.name}: install cell is not the first code cell"


def test_a_chapter_without_install_cell_is_a_clear_error(tmp_path):
    page = tmp_path / "bare.md"
    page.write_text("---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n# t\n\n"
                    "```{code-cell} ipython3\n1\n```\n")
    expected = r"chapter_notebook: bare.md has 0 cells setting COURSE_REPOSITORY, expected 1"
    with pytest.raises(ValueError, match=expected):
        chapter_notebooks.chapter_notebook(page, REAL)


@pytest.mark.slow
def test_install_cell_installs_lstmlab_where_it_is_missing(tmp_path):
    """Run the install cell of chapter 5 (which reads book/data) in a venv without lstmlab,
    against this checkout's committed HEAD as the course repository (git+file://)."""
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("not a git checkout")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    notebook = chapter_notebooks.chapter_notebook(ROOT / "book" / "05-lstm.md", f"file://{ROOT}")
    install = next(c.source for c in notebook.cells if "COURSE_REPOSITORY =" in c.source)
    check = (
        "\nimport lstmlab, pathlib\n"
        "data = pathlib.Path(lstmlab.__file__).resolve().parents[1] / 'book' / 'data'\n"
        "print(lstmlab.__file__); assert (data / 'forget_bias_adding.json').exists(), data\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(python), "-c", install + check], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(tmp_path / "lstmlab-src") in result.stdout


def test_mark_chinese_wraps_text_but_not_attributes():
    html = '<td><p title="门">循环神经网络（RNN 的中文）</p></td><p>plain</p>'
    marked = lstmlab_reader.mark_chinese(html)
    assert marked == ('<td><p title="门"><span lang="zh-Hans">循环神经网络（</span>RNN '
                      '<span lang="zh-Hans">的中文）</span></p></td><p>plain</p>')


@pytest.mark.slow
def test_with_a_repository_colab_and_binder_open_the_chapter_notebook(tmp_path):
    """A one-chapter book built by jupyter-book with repository.url set: the launch links name
    the chapter's .ipynb; without the notebook the build stops and says to run make notebooks."""
    book = tmp_path / "book"
    book.mkdir()
    chapter = book / "01-rnn.md"
    chapter.write_text((ROOT / "book" / "01-rnn.md").read_text(encoding="utf-8").split("(rnn-same-word)=")[0])
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/01-rnn\n")
    (tmp_path / "_config.yml").write_text(
        "title: t\nexecute:\n  execute_notebooks: 'off'\n"
        'exclude_patterns: [_build, "book/*.ipynb"]\n'
        f"repository:\n  url: {REAL}\n  branch: main\n"
        "launch_buttons:\n  notebook_interface: jupyterlab\n  binderhub_url: https://mybinder.org\n"
        "  colab_url: https://colab.research.google.com\n  jupyterhub_url: https://jupyterhub.example.edu\n"
        "html:\n  use_repository_button: true\n"
        f"sphinx:\n  local_extensions:\n    lstmlab_reader: {ROOT / 'book' / '_ext'}\n"
    )
    jupyter_book = Path(sys.executable).with_name("jupyter-book")

    def build():
        return subprocess.run([str(jupyter_book), "build", str(tmp_path)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)

    refused = build()
    assert refused.returncode != 0
    assert "make notebooks" in refused.stdout + refused.stderr
    chapter_notebooks.write_notebooks(root=tmp_path, repository=REAL)
    built = build()
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "book" / "01-rnn.html").read_text(encoding="utf-8")
    assert "https://colab.research.google.com/github/example-university/rnn-course/blob/main/book/01-rnn.ipynb" in html
    assert "mybinder.org/v2/gh/example-university/rnn-course/main?urlpath=lab/tree/book/01-rnn.ipynb" in html
    assert "jupyterhub.example.edu" not in html
