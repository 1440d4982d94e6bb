"""Tidy pandas tables of gold data, evaluation results and batch output.

The notebooks only display: every number they show is computed here (or in the
modules these functions call), so the same tables can be tested, reused in a
script, and cannot drift between two notebooks. Each builder takes plain
records or result dicts and returns a :class:`pandas.DataFrame` with one row per
natural unit (sentence, span, label, incident, claim).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import pandas as pd

from tolltrace.labels import SPAN_LABELS
from tolltrace.types import AnnotatedSentence

WORD = re.compile(r"\w+|[^\w\s]")
SPLITS = ("train", "dev", "test")


# ----------------------------------------------------------------- gold data
def sentence_table(sentences: Sequence[AnnotatedSentence]) -> pd.DataFrame:
    """One row per gold sentence: provenance, length, and span count per label."""
    rows = []
    for s in sentences:
        row = {"uid": s.uid, "corpus": s.corpus, "document": s.group, "split": s.split or "unassigned",
               "written": s.written, "characters": len(s.text), "words": len(WORD.findall(s.text)),
               "spans": len(s.spans)}
        row.update({lab: sum(1 for x in s.spans if x.label == lab) for lab in SPAN_LABELS})
        rows.append(row)
    return pd.DataFrame(rows, columns=["uid", "corpus", "document", "split", "written", "characters", "words",
                                       "spans", *SPAN_LABELS])


def span_table(sentences: Sequence[AnnotatedSentence]) -> pd.DataFrame:
    """One row per gold span: its label, length in characters and words, split and corpus."""
    rows = []
    for s in sentences:
        for x in s.spans:
            text = s.text[x.start:x.end]
            rows.append({"uid": s.uid, "corpus": s.corpus, "split": s.split or "unassigned", "label": x.label,
                         "characters": x.end - x.start, "words": len(WORD.findall(text)), "text": text})
    return pd.DataFrame(rows, columns=["uid", "corpus", "split", "label", "characters", "words", "text"])


def corpus_overview(sentences: pd.DataFrame, by: str) -> pd.DataFrame:
    """Sentences, documents and spans per label, grouped by ``split`` or ``corpus`` (from :func:`sentence_table`)."""
    grouped = sentences.groupby(by)
    out = pd.DataFrame({"sentences": grouped.size(), "documents": grouped["document"].nunique(),
                        "written": grouped["written"].sum()})
    for lab in SPAN_LABELS:
        out[lab] = grouped[lab].sum()
    out["no span"] = grouped["spans"].apply(lambda x: int((x == 0).sum()))
    if by == "split":
        out = out.reindex([s for s in SPLITS if s in out.index] + [s for s in out.index if s not in SPLITS])
    out.loc["total"] = out.sum(numeric_only=True)
    return out.astype(int)


def length_summary(spans: pd.DataFrame, unit: str = "words") -> pd.DataFrame:
    """Span length percentiles per label (``unit``: words or characters)."""
    grouped = spans.groupby("label")[unit]
    out = pd.DataFrame({"spans": grouped.size(), "mean": grouped.mean().round(2), "median": grouped.median(),
                        "p90": grouped.quantile(0.9), "max": grouped.max()})
    return out.reindex([lab for lab in SPAN_LABELS if lab in out.index])


def agreement_table(result: dict) -> pd.DataFrame:
    """Per-label strict / overlap F1 between two annotation passes (from :func:`tolltrace.agreement.agreement`)."""
    rows = []
    for lab in [*SPAN_LABELS, "micro"]:
        s, o = result["strict"][lab], result["overlap"][lab]
        rows.append({"label": lab, "strict F1": s["f1"], "overlap F1": o["f1"],
                     "spans pass A": s["support"], "spans pass B": s["predicted"]})
    return pd.DataFrame(rows).set_index("label")


def label_examples(sentences: Sequence[AnnotatedSentence], per_label: int = 2, seed: int = 0,
                   split: str | None = "train") -> pd.DataFrame:
    """A few gold spans of each label with their sentences, drawn reproducibly (``seed``).

    Drawn from ``split`` (train by default) so that looking at examples never means
    reading the held-out data the model is judged on.
    """
    pool = [s for s in sentences if split is None or s.split == split]
    rng = random.Random(seed)
    rows = []
    for lab in SPAN_LABELS:
        candidates = [(s, x) for s in pool for x in s.spans if x.label == lab]
        for s, x in rng.sample(candidates, min(per_label, len(candidates))):
            rows.append({"label": lab, "span": s.text[x.start:x.end], "corpus": s.corpus,
                         "sentence": s.text[:x.start] + "[" + s.text[x.start:x.end] + "]" + s.text[x.end:]})
    return pd.DataFrame(rows, columns=["label", "span", "corpus", "sentence"])


# ---------------------------------------------------------------- evaluation
def score_table(results: dict[str, dict], mode: str = "strict") -> pd.DataFrame:
    """Long table of P/R/F1 per label for several systems: ``{"tolltrace": result, "rule baseline": ...}``.

    Each result is a :func:`tolltrace.evaluate.score_predictions` dict; ``mode`` is
    ``strict`` or ``overlap``. ``f1 low`` / ``f1 high`` bound the 95% document-bootstrap
    interval where the result has one.
    """
    rows = []
    for system, result in results.items():
        intervals = result.get(f"{mode}_ci", {})
        for lab in [*SPAN_LABELS, "micro"]:
            s = result[mode][lab]
            ci = intervals.get(lab, {})
            rows.append({"system": system, "label": lab, "precision": s["precision"], "recall": s["recall"],
                         "f1": s["f1"], "f1 low": ci.get("low"), "f1 high": ci.get("high"),
                         "gold spans": s["support"], "predicted spans": s["predicted"]})
    return pd.DataFrame(rows)


def confusion_table(result: dict, normalise: bool = False) -> pd.DataFrame:
    """The word-level confusion matrix, rows gold and columns predicted; rows sum to 1 if ``normalise``."""
    conf = result["confusion"]
    df = pd.DataFrame(conf["rows_gold_cols_pred"], index=conf["labels"], columns=conf["labels"])
    df.index.name, df.columns.name = "gold", "predicted"
    if normalise:
        df = df.div(df.sum(axis=1).where(lambda x: x > 0, 1), axis=0)
    return df


def _window(text: str, start: int, end: int, context: int | None) -> str:
    """``text`` with ``[start:end]`` bracketed, cut to ``context`` characters either side."""
    marked = text[:start] + "[" + text[start:end] + "]" + text[end:]
    if context is None:
        return marked
    lo, hi = max(0, start - context), min(len(marked), end + 2 + context)
    return ("..." if lo else "") + marked[lo:hi] + ("..." if hi < len(marked) else "")


def error_frame(rows: Sequence[dict], limit: int | None = 15, context: int | None = 80) -> pd.DataFrame:
    """Rows of :func:`tolltrace.evaluate.error_table` / ``rank_misses`` as a table.

    The gold span is bracketed in its sentence, which is cut to ``context`` characters
    either side so a long sentence still shows the span (``None`` keeps it whole).
    """
    out = []
    for r in list(rows)[:limit] if limit else rows:
        sentence = r["sentence"]
        if r.get("gold"):
            i = sentence.find(r["gold"])
            if i >= 0:
                sentence = _window(sentence, i, i + len(r["gold"]), context)
        out.append({"kind": r["kind"], "label": r["label"], "gold": r.get("gold"), "predicted": r.get("predicted"),
                    "P(O) over gold span": r.get("o_prob"), "sentence": sentence})
    return pd.DataFrame(out, columns=["kind", "label", "gold", "predicted", "P(O) over gold span", "sentence"])


def error_counts(rows: Sequence[dict]) -> pd.DataFrame:
    """How many errors of each kind (missed, spurious, boundary, label) per label."""
    df = pd.DataFrame(list(rows), columns=["kind", "label"])
    table = df.pivot_table(index="label", columns="kind", aggfunc="size", fill_value=0)
    kinds = [k for k in ("missed", "spurious", "boundary", "label") if k in table.columns]
    return table.reindex(index=[lab for lab in SPAN_LABELS if lab in table.index], columns=kinds).fillna(0).astype(int)


def learning_curve_table(result: dict) -> pd.DataFrame:
    """One row per learning-curve point: size of the training share and dev macro / per-label F1."""
    rows = []
    for p in result["points"]:
        row = {"fraction": p["fraction"], "train documents": p.get("train_documents"),
               "train sentences": p["train_sentences"], "epochs run": p.get("epochs_run"),
               "best epoch": p.get("best_epoch"), "train seconds": p.get("train_seconds")}
        for mode in ("strict", "overlap"):
            row[f"{mode} macro F1"] = p["dev"][mode]["macro"]
            row.update({f"{mode} {lab} F1": p["dev"][mode][lab] for lab in SPAN_LABELS})
        rows.append(row)
    return pd.DataFrame(rows).sort_values("fraction").reset_index(drop=True)


# -------------------------------------------------------------- batch output
def _day(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else f"{value['start']} to {value['end']}"


def incident_table(run) -> pd.DataFrame:
    """One row per incident of a :class:`tolltrace.batch_output.RunOutput`, as the job aggregated it."""
    rows = []
    for inc in run.incidents:
        loc = inc.get("location") or {}
        killed, injured = inc.get("killed") or {}, inc.get("injured") or {}
        rows.append({"incident": inc["incident_id"], "place": loc.get("name"), "country": loc.get("country"),
                     "date": _day(inc.get("date")), "event": inc.get("event"),
                     "killed (best)": killed.get("best"), "injured (best)": injured.get("best"),
                     "claims": len(inc.get("claims", [])), "articles": len(inc.get("articles", [])),
                     "independent sources": inc.get("independent_sources"), "denials": len(inc.get("denials", [])),
                     "grade": inc.get("grade"), "why": inc.get("grade_rule")})
    return pd.DataFrame(rows)


def policy_table(run) -> pd.DataFrame:
    """Killed and injured low / best / high of every incident under every policy, recomputed from claims."""
    from tolltrace.batch_output import figures_by_policy

    rows = []
    for inc in run.incidents:
        for policy, kinds in figures_by_policy(run, inc).items():
            for kind, fig in kinds.items():
                if fig is None:
                    continue
                rows.append({"incident": inc["incident_id"], "toll": kind, "policy": policy, "low": fig.low,
                             "best": fig.best, "high": fig.high, "open high": fig.open_high,
                             "reports": fig.reports})
    df = pd.DataFrame(rows, columns=["incident", "toll", "policy", "low", "best", "high", "open high", "reports"])
    return df.astype({"low": "Int64", "best": "Int64", "high": "Int64"})


def policy_wide(figures: pd.DataFrame) -> pd.DataFrame:
    """:func:`policy_table` with one row per incident and toll, columns policy x (low, best, high)."""
    from tolltrace.policies import POLICIES

    wide = figures.pivot(index=["incident", "toll"], columns="policy", values=["low", "best", "high"])
    wide = wide.swaplevel(0, 1, axis=1)
    order = [(p, v) for p in POLICIES for v in ("low", "best", "high") if (p, v) in wide.columns]
    return wide.reindex(columns=pd.MultiIndex.from_tuples(order, names=["policy", ""]))


def claim_table(run) -> pd.DataFrame:
    """One row per figure claim (killed / injured): value, bounds, sources, hedges, report and event dates."""
    published = {a["article_id"]: a.get("published") for a in run.articles}
    outlets = {a["article_id"]: a.get("outlet") for a in run.articles}
    rows = []
    for c in run.claims:
        if c["type"] not in ("killed", "injured"):
            continue
        rows.append({"claim": c["claim_id"], "incident": c.get("incident_id"), "type": c["type"],
                     "text": c.get("text"), "value": c.get("value"), "low": c.get("low"), "high": c.get("high"),
                     "source": "; ".join(c.get("sources") or []) or "(unattributed)",
                     "hedges": "; ".join(c.get("hedges") or []), "group": c.get("group"),
                     "cumulative": bool(c.get("cumulative")), "denied": bool(c.get("denied")),
                     "article": c["article_id"], "outlet": outlets.get(c["article_id"]),
                     "published": published.get(c["article_id"]), "event date": _day(c.get("date"))})
    df = pd.DataFrame(rows, columns=["claim", "incident", "type", "text", "value", "low", "high", "source", "hedges",
                                     "group", "cumulative", "denied", "article", "outlet", "published", "event date"])
    df["published"] = pd.to_datetime(df["published"], errors="coerce")
    return df.astype({"value": "Int64", "low": "Int64", "high": "Int64"})


def denial_table(run) -> pd.DataFrame:
    """One row per denial attached to an incident: who denies, the denial words, the sentence."""
    rows = [{"incident": inc["incident_id"], "by": "; ".join(d.get("by") or []) or "(unattributed)",
             "denial": d.get("text"), "article": d.get("article_id"), "sentence": d.get("sentence")}
            for inc in run.incidents for d in inc.get("denials", [])]
    return pd.DataFrame(rows, columns=["incident", "by", "denial", "article", "sentence"])


def location_table(run) -> pd.DataFrame:
    """One row per incident with a resolved place: name, admin area, kind, latitude / longitude (degrees)."""
    rows = []
    for inc in run.incidents:
        loc = inc.get("location") or {}
        if loc.get("lat") is None or loc.get("lon") is None:
            continue
        rows.append({"incident": inc["incident_id"], "place": loc.get("name"), "country": loc.get("country"),
                     "admin1": loc.get("admin1"), "kind": loc.get("kind"), "lat (deg N)": float(loc["lat"]),
                     "lon (deg E)": float(loc["lon"]), "date": _day(inc.get("date")),
                     "killed (best)": (inc.get("killed") or {}).get("best"), "grade": inc.get("grade")})
    return pd.DataFrame(rows, columns=["incident", "place", "country", "admin1", "kind", "lat (deg N)",
                                       "lon (deg E)", "date", "killed (best)", "grade"])
