"""Execute the project's notebooks top to bottom in a fresh kernel (``tolltrace notebooks``).

The notebooks in ``notebooks/`` are committed without outputs: their outputs would hold
corpus text (which must stay out of the repository) and go stale with every model.
This module runs them from a clean kernel, as the tests do, and writes the executed
copies elsewhere (``outputs/notebooks/``, git-ignored), so the committed files never change.
The kernel is ``python3``, which Jupyter resolves to the running interpreter, so a
notebook sees exactly the environment (and ``tolltrace`` checkout) of its caller.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tolltrace import config

NOTEBOOKS_DIR = config.PROJECT_ROOT / "notebooks"


def notebook_paths(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks (``NN-name.ipynb``), in order."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]-*.ipynb"))


def execute_notebook(path: Path, output: Path | None = None, timeout: int = 600, kernel_name: str = "python3"):
    """Run every cell of ``path`` in a new kernel started in the notebook's folder; return the notebook.

    A failing cell raises ``nbclient.exceptions.CellExecutionError`` naming the cell and
    the traceback. ``output``, if given, receives the executed notebook.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    if output is not None:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, output)
    return book


def execute_all(output_dir: Path, names: list[str] | None = None, timeout: int = 600) -> list[tuple[Path, float]]:
    """Execute the numbered notebooks (or those whose name starts with one of ``names``) into ``output_dir``."""
    done = []
    for path in notebook_paths():
        if names and not any(path.name.startswith(n) for n in names):
            continue
        t0 = time.monotonic()
        execute_notebook(path, Path(output_dir) / path.name, timeout=timeout)
        done.append((path, time.monotonic() - t0))
        print(f"{path.name}: {done[-1][1]:.0f}s -> {Path(output_dir) / path.name}", file=sys.stderr)
    return done
