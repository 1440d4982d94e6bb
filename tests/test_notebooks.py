"""The notebooks run top to bottom from a clean kernel, and are committed clean.

Each notebook is executed with nbclient in a fresh ``python3`` kernel (the running
interpreter, so the kernel imports this checkout's ``tolltrace``), exactly as
``tolltrace notebooks`` does. Notebooks 02 and 03 need the trained default model
(``make model``; the test target builds it); notebook 04 is executed by
``test_notebook_active_learning.py``, which also checks what it prints.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

from tolltrace.config import DEFAULT_MODEL_DIR
from tolltrace.notebooks import NOTEBOOKS_DIR, execute_notebook, notebook_paths

EXPECTED = ["01-data-overview.ipynb", "02-model-evaluation.ipynb", "03-incident-review.ipynb",
            "04-active-learning.ipynb"]


def _images(book) -> int:
    return sum(1 for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))


def test_notebooks_are_numbered_and_committed_without_outputs():
    assert [p.name for p in notebook_paths()] == EXPECTED
    for path in notebook_paths():
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        code = [c for c in book.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), path.name
        assert book.metadata.kernelspec.name == "python3"
        assert re.search(r"^from tolltrace(\.\w+)? import", code[0].source, re.M)  # logic comes from the package


def test_kernel_is_this_interpreter_and_checkout(tmp_path: Path):
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, tolltrace; print(sys.executable); print(tolltrace.__file__)")])
    path = tmp_path / "probe.ipynb"
    nbformat.write(book, path)
    out = execute_notebook(path).cells[0].outputs[0].text.split()
    assert Path(out[0]).resolve() == Path(sys.executable).resolve()
    assert Path(out[1]).resolve() == Path(sys.modules["tolltrace"].__file__).resolve()


@pytest.mark.parametrize("name,min_images", [("01-data-overview.ipynb", 5), ("02-model-evaluation.ipynb", 5),
                                             ("03-incident-review.ipynb", 2)])
def test_notebook_runs_from_a_clean_kernel(name: str, min_images: int, tmp_path: Path):
    if name != EXPECTED[0] and not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        pytest.fail(f"No trained model at {DEFAULT_MODEL_DIR}: run `make model` (the test target does).")
    book = execute_notebook(NOTEBOOKS_DIR / name, tmp_path / name)  # raises CellExecutionError on any failure
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert _images(book) >= min_images
    assert all(c.execution_count for c in book.cells if c.cell_type == "code")
