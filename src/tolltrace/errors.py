"""Every user-facing error and warning message, each with a stable code.

Tests and users match on the code (``E012``), not on the wording, so the text can
be improved without breaking anyone. Each message says what failed, the value
that came in, and how to fix it.
"""

from __future__ import annotations


class _CodedMeta(type):
    """Prefix each message attribute with its code, as spaCy's ``errors.py`` does."""

    def __getattribute__(cls, code: str) -> str:  # noqa: N805
        msg = super().__getattribute__(code)
        if code.startswith("__") or not isinstance(msg, str):
            return msg
        return f"[{code}] {msg}"


class Warnings(metaclass=_CodedMeta):
    W001 = "Skipped {what} {where}: {reason}"
    W002 = "Removed {n} boilerplate line(s) from {doc}."


class Errors(metaclass=_CodedMeta):
    # corpora and annotation storage
    E010 = "Unknown corpus '{corpus}'. Known corpora: {known}."
    E011 = ("Corpus '{corpus}' not found at {path}. Pass --corpora DIR or set TOLLTRACE_CORPORA "
            "to the folder holding the shared corpora.")
    E012 = ("Hash mismatch in {file}, record {record}: the text at {corpus}/{doc_id}[{start}:{end}] has "
            "sha1 {actual}, the annotation expects {expected}. The corpus file changed or the record is wrong; "
            "re-annotate this sentence or restore the original corpus file.")
    E013 = "Document '{doc_id}' not found in corpus '{corpus}' ({file}, record {record})."
    E014 = "Malformed annotation in {file}, record {record}: {reason}"
    E015 = "Cannot read {file}: {reason}"
    # spans and labels
    E020 = "Unknown label '{label}' in {where}. Known labels: {known}."
    E021 = "Span [{start}, {end}) is out of range for a text of length {length} in {where}."
    E022 = "Spans overlap in {where}: {first} and {second}. LABELS.md forbids overlapping spans."
    E023 = ("Span [{start}, {end}) '{text}' in {where} does not start and end on token boundaries "
            "(it cuts a word). Widen or narrow it to whole words.")
    E024 = "Span [{start}, {end}) in {where} is empty or has leading/trailing whitespace: '{text}'."
    # articles
    E030 = "Article {where} is empty (no text after cleaning)."
    E031 = "Article {where} looks binary (NUL bytes or mostly non-text); not a text or HTML article."
    E032 = ("Article {where} is not valid UTF-8 (bad byte at offset {offset}). Re-encode it as UTF-8, "
            "or pass --encoding.")
    E033 = "Article {where} is {size} bytes, above the limit of {limit}. Split it or raise --max-bytes."
    E034 = "Input {where} has no 'text' field or it is not a string."
    E035 = "Input {where} is not valid JSON: {reason}"
    E036 = "Input path {path} does not exist or is neither a folder nor a .jsonl file."
    # models
    E040 = ("No model loaded: call Tagger.load(path) or pass --model DIR. "
            "Default model directory {path} does not exist; run `make model` to train it.")
    E041 = "Model directory {path} has no safetensors weights; refusing to load pickled weights."
    # label studio
    E050 = ("Label Studio URL or API key missing. Pass --url/--api-key or set LABEL_STUDIO_URL and "
            "LABEL_STUDIO_API_KEY.")
    E051 = "Label Studio task {task} has no 'text' in its data; cannot convert it to a sentence."
    # batch runs: shards, engines, backends, formats
    E060 = ("Output folder {path} holds a run made with other arguments ({diff}). Resuming would mix "
            "two runs: pass the same arguments, another --output, or --restart to discard its shards.")
    E061 = ("--engine ray needs Ray, which is not installed: pip install 'tolltrace[ray]' "
            "(or use the default --engine local).")
    E062 = "Unknown tagger backend '{backend}'. Choose one of: {known}."
    E063 = "Unknown {what} '{value}'. Choose one of: {known}."
    E064 = ("Shard {shard} in {path} is marked finished but {file} is missing or unreadable ({reason}). "
            "Delete that shard's files (or pass --restart) and run again.")
    E065 = "Parquet input {where} has no string column 'text' (columns: {columns})."
    E066 = "Reading Parquet needs pyarrow: pip install pyarrow ({where})."
    # reports and notebooks
    E070 = "Learning-curve fractions must be numbers in (0, 1], got {value}. Example: --fractions 0.25,0.5,1.0"
    E071 = ("Cannot read learning-curve results {file}: {reason}. Regenerate the file with "
            "`tolltrace learning-curve --config training/configs/learning-curve.yaml`.")
    E072 = ("Batch output folder {path} has no {file}. Run `tolltrace run --input ARTICLES --output {path}` "
            "first, or point at the folder that run wrote.")
    E073 = "Bad record in {file}, line {line}: {reason}"
    # active learning and retraining
    E080 = "Unknown selection strategy '{name}'. Known strategies: {known}."
    E081 = ("The frozen test split in {path} does not match its lock (version {version}): {reason}. "
            "Restore the test annotations or version the change with `tolltrace data freeze-test --reason ...`; "
            "retrain only compares models on exactly the locked test split.")
    E082 = ("Pulled annotations would change {n} sentence(s) of the frozen test split (e.g. {example}); "
            "nothing was written. Fix them in Label Studio or version the change with `data freeze-test`.")
    E083 = ("Guard refused to replace {model}: {reason}. The candidate stays at {candidate}; "
            "pass --force to replace anyway.")
    E084 = "Model directory {path} does not exist or has no weights; pass --candidate DIR of a trained model."
    E085 = "Backend request {where} is not valid: {reason}"
    E086 = "No candidate sentences left in corpus '{corpus}' after skipping annotated and held-out documents."


class TolltraceError(ValueError):
    """Base class: a ``ValueError`` so callers that already catch bad values keep working."""


class InputError(TolltraceError):
    """Raised for one bad input record; batch commands catch it, report it and go on."""


class NotLoadedError(TolltraceError, AttributeError):
    """Raised when a model is used before one is loaded (like scikit-learn's ``NotFittedError``)."""
