"""Notebook 04 runs top to bottom from a clean kernel on the committed experiment result."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tolltrace.active_learning import default_report_path

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04-active-learning.ipynb"


def test_active_learning_notebook_executes_and_plots():
    assert default_report_path().is_file(), "run `tolltrace simulate` to write reports/active-learning.json"
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
                   ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the learning-curve figure
    text = "".join(o.get("text", "") for o in outputs)
    assert "uncertainty minus random" in text
