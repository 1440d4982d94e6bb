"""Matplotlib charts for the notebooks: one function per chart, each returning its Figure.

Figures are built with :class:`matplotlib.figure.Figure` directly, never through
``pyplot``'s global state, so they work on any backend (Agg in tests and CI),
leak nothing between calls, and show once in a notebook when returned as a
cell's value. Every chart has a title, labelled axes and units, and each span
label keeps one colour throughout, so charts can be read side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tolltrace.labels import SPAN_LABELS

LABEL_COLOURS = {"KILLED": "#c0392b", "INJURED": "#e67e22", "SOURCE": "#2e86c1", "DENIAL": "#8e44ad",
                 "HEDGE": "#27ae60", "O": "#7f8c8d", "micro": "#34495e"}
SYSTEM_COLOURS = ("#2e86c1", "#aab7b8", "#e67e22", "#27ae60")
GRADE_COLOURS = {"contested": "#8e44ad", "corroborated": "#27ae60", "single source": "#2e86c1",
                 "unattributed": "#7f8c8d"}


def _figure(width: float = 8.0, height: float = 4.5, ncols: int = 1, nrows: int = 1, **kw):
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _bar_labels(ax, bars, fmt: str = "{:.2f}") -> None:
    for bar in bars:
        h = bar.get_height()
        if np.isfinite(h) and h > 0:
            ax.annotate(fmt.format(h), (bar.get_x() + bar.get_width() / 2, h), ha="center", va="bottom",
                        fontsize=7, xytext=(0, 1), textcoords="offset points")


# ----------------------------------------------------------------- gold data
def label_counts(table: pd.DataFrame, title: str = "Gold spans per label and split") -> Figure:
    """Grouped bars: rows of ``table`` (e.g. splits) by label columns, counts of spans."""
    labels = [lab for lab in SPAN_LABELS if lab in table.columns]
    groups = [g for g in table.index if g != "total"]
    fig, axes = _figure(8, 4.2)
    ax = axes[0, 0]
    x = np.arange(len(labels))
    width = 0.8 / max(1, len(groups))
    for i, group in enumerate(groups):
        bars = ax.bar(x + (i - (len(groups) - 1) / 2) * width, [table.loc[group, lab] for lab in labels], width,
                      label=str(group), color=SYSTEM_COLOURS[i % len(SYSTEM_COLOURS)] if len(groups) <= 4 else None)
        if len(groups) <= 4:  # with more bars the numbers crowd out the bars; the table has them
            _bar_labels(ax, bars, "{:.0f}")
    ax.set_xticks(x, labels)
    ax.set_xlabel("span label")
    ax.set_ylabel("gold spans (count)")
    ax.set_title(title)
    if len(groups) <= 4:
        ax.legend(title=table.index.name or "", frameon=False)
    else:
        ax.legend(title=table.index.name or "", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def span_lengths(spans: pd.DataFrame, unit: str = "words", max_len: int = 15,
                 title: str = "How long are gold spans?") -> Figure:
    """One histogram per label of span length (``unit``: words or characters), longer ones in the last bin."""
    labels = [lab for lab in SPAN_LABELS if (spans["label"] == lab).any()]
    fig, axes = _figure(3.0 * len(labels), 3.2, ncols=max(1, len(labels)), sharey=False)
    for ax, lab in zip(axes[0], labels):
        values = np.minimum(spans.loc[spans["label"] == lab, unit].to_numpy(), max_len)
        ax.hist(values, bins=np.arange(0.5, max_len + 1.5, 1), color=LABEL_COLOURS[lab], edgecolor="white")
        ax.set_title(f"{lab} (n={len(values)}, median {np.median(values):.0f})", fontsize=9)
        ax.set_xlabel(f"span length ({unit}; last bin {max_len}+)")
    axes[0, 0].set_ylabel("gold spans (count)")
    fig.suptitle(title)
    return fig


def agreement_bars(table: pd.DataFrame, title: str = "Agreement between two annotation passes") -> Figure:
    """Strict and overlap F1 per label between passes, from :func:`tolltrace.tables.agreement_table`."""
    fig, axes = _figure(7.5, 4)
    ax = axes[0, 0]
    x = np.arange(len(table.index))
    for i, (col, colour) in enumerate((("strict F1", "#2e86c1"), ("overlap F1", "#aab7b8"))):
        bars = ax.bar(x + (i - 0.5) * 0.38, table[col], 0.38, label=col, color=colour)
        _bar_labels(ax, bars)
    ax.set_xticks(x, table.index)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("span label")
    ax.set_ylabel("inter-annotator F1 (0-1)")
    ax.set_title(title)
    ax.legend(frameon=False, loc="lower right")
    return fig


# ---------------------------------------------------------------- evaluation
def prf_bars(scores: pd.DataFrame, title: str) -> Figure:
    """Precision, recall and F1 per label, one panel each, one bar per system (from ``score_table``).

    F1 bars carry their 95% document-bootstrap interval as an error bar when the table has one.
    """
    systems = list(dict.fromkeys(scores["system"]))
    labels = [lab for lab in [*SPAN_LABELS, "micro"] if lab in set(scores["label"])]
    fig, axes = _figure(13, 4, ncols=3, sharey=True)
    x = np.arange(len(labels))
    width = 0.8 / len(systems)
    for ax, metric in zip(axes[0], ("precision", "recall", "f1")):
        for i, system in enumerate(systems):
            sub = scores[scores["system"] == system].set_index("label").reindex(labels)
            error = None
            if metric == "f1" and {"f1 low", "f1 high"} <= set(sub.columns) and sub["f1 low"].notna().all():
                error = np.vstack([sub["f1"] - sub["f1 low"], sub["f1 high"] - sub["f1"]]).clip(min=0)
            bars = ax.bar(x + (i - (len(systems) - 1) / 2) * width, sub[metric], width, label=system,
                          color=SYSTEM_COLOURS[i % len(SYSTEM_COLOURS)], yerr=error,
                          capsize=0 if error is None else 2, error_kw={"elinewidth": 0.8})
            _bar_labels(ax, bars)
        ax.set_xticks(x, labels, rotation=30)
        ax.set_title("F1 (whiskers: 95% CI over documents)" if metric == "f1" and error is not None else
                     "F1" if metric == "f1" else metric)
        ax.set_xlabel("span label")
        ax.set_ylim(0, 1.1)
    axes[0, 0].set_ylabel("score (0-1)")
    axes[0, 0].legend(frameon=False, loc="lower left")
    fig.suptitle(title)
    return fig


def confusion_heatmap(counts: pd.DataFrame, title: str) -> Figure:
    """Row-normalised colours (share of each gold label's words), raw word counts written in the cells."""
    share = counts.div(counts.sum(axis=1).where(lambda x: x > 0, 1), axis=0)
    fig, axes = _figure(6.8, 5.6)
    ax = axes[0, 0]
    image = ax.imshow(share.to_numpy() * 100, cmap="Blues", vmin=0, vmax=100)
    for i in range(share.shape[0]):
        for j in range(share.shape[1]):
            ax.text(j, i, f"{int(counts.iat[i, j])}\n{share.iat[i, j] * 100:.0f}%", ha="center", va="center",
                    fontsize=7, color="white" if share.iat[i, j] > 0.6 else "black")
    ax.set_xticks(range(share.shape[1]), share.columns, rotation=30)
    ax.set_yticks(range(share.shape[0]), share.index)
    ax.set_xlabel("predicted label (per word)")
    ax.set_ylabel("gold label (per word)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="share of the gold label's words (%)")
    return fig


def reliability_diagram(bins: Sequence[dict], title: str, ece: float | None = None) -> Figure:
    """Accuracy against mean score per bin (from :func:`tolltrace.calibration.reliability_bins`), plus counts."""
    df = pd.DataFrame(list(bins))
    fig, axes = _figure(6.5, 6.5, nrows=2, height_ratios=[3, 1], sharex=True)
    ax, ax_n = axes[0, 0], axes[1, 0]
    ax.plot([0, 1], [0, 1], ls="--", color="#7f8c8d", label="perfect calibration")
    if not df.empty:
        widths = df["bin_high"] - df["bin_low"]
        ax.bar(df["bin_low"], df["accuracy"], widths, align="edge", color="#aed6f1", edgecolor="#2e86c1",
               label="share correct in bin")
        ax.plot(df["mean_score"], df["accuracy"], "o-", color="#2e86c1", label="bin mean score vs share correct")
        ax_n.bar(df["bin_low"], df["spans"], widths, align="edge", color="#aab7b8", edgecolor="white")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of spans correct (strict match, 0-1)")
    ax.set_title(title + (f"  (ECE {ece:.3f})" if ece is not None else ""))
    ax.legend(frameon=False, loc="upper left")
    ax_n.set_yscale("log")
    ax_n.set_ylabel("spans (count, log)")
    ax_n.set_xlabel("span score (model probability, 0-1)")
    return fig


def learning_curve(table: pd.DataFrame, baseline: dict | None = None, reference: dict | None = None,
                   mode: str = "overlap", title: str = "Learning curve (dev)") -> Figure:
    """Dev F1 against training documents: macro (thick) and per label, with baseline and reference lines.

    ``baseline`` is ``{"macro": F1, ...}`` for the rule tagger on dev; ``reference``
    is ``{"documents": n, "macro": F1, "name": ...}`` for a model trained with another config.
    """
    fig, axes = _figure(8.5, 5)
    ax = axes[0, 0]
    x = table["train documents"].fillna(table["fraction"]).to_numpy()
    for lab in SPAN_LABELS:
        ax.plot(x, table[f"{mode} {lab} F1"], "o-", color=LABEL_COLOURS[lab], lw=1.2, ms=4, alpha=0.8, label=lab)
    ax.plot(x, table[f"{mode} macro F1"], "s-", color="black", lw=2.6, ms=6, label="macro F1")
    if baseline is not None:
        ax.axhline(baseline["macro"], color="black", ls=":", lw=1.5, label=f"rule baseline macro F1 ({baseline['macro']:.2f})")
    if reference is not None:
        ax.plot([reference["documents"]], [reference["macro"]], "*", color="#f1c40f", mec="black", ms=15,
                label=reference.get("name", "reference model"))
    ax.set_xscale("log")
    ticks = {float(xi): f"{xi:.0f}\n({frac:g})" for xi, frac in zip(x, table["fraction"])}
    if reference is not None:
        ticks.setdefault(float(reference["documents"]), f"{reference['documents']:.0f}\n(all)")
    ax.set_xticks(list(ticks), list(ticks.values()))
    ax.minorticks_off()
    ax.set_xlim(min(ticks) / 1.3, max(ticks) * 1.3)
    ax.set_xlabel("training documents (count, log scale; share of the train split in brackets)")
    ax.set_ylabel(f"dev {mode} F1 (0-1)")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="lower right", ncol=2)
    return fig


# -------------------------------------------------------------- batch output
def incident_claims_timeline(claims: pd.DataFrame, incident: str, figures: pd.DataFrame | None = None,
                             toll: str = "killed", event_date: str | None = None) -> Figure:
    """Each figure claim of one incident on the day its article was published, one colour per source.

    Claims of one day are spread sideways (one slot per article and source) so none
    hide each other. Bars run from a claim's low to its high bound; an arrow marks an
    open upper bound ("at least"). Shaded grey: the day(s) the event happened, as
    resolved from the text (``event_date``, "YYYY-MM-DD" or "A to B"). Shaded yellow:
    the toll's low-high range; lines: each policy's best (from ``policy_table``).
    """
    sub = claims[(claims["incident"] == incident) & (claims["type"] == toll)].copy()
    fig, axes = _figure(9, 4.5)
    ax = axes[0, 0]
    days = [d for d in sub["published"] if pd.notna(d)]
    event = [pd.Timestamp(x) for x in (event_date or "").split(" to ") if x]
    day0 = min(days + event) if days or event else pd.Timestamp("1970-01-01")
    last = max(days + event) if days or event else day0
    sources = list(dict.fromkeys(sub["source"]))
    colours = {s: f"C{i % 10}" for i, s in enumerate(sources)}
    slots = list(dict.fromkeys(zip(sub["article"], sub["source"])))
    offset = {k: (i - (len(slots) - 1) / 2) * min(0.12, 0.7 / max(1, len(slots))) for i, k in enumerate(slots)}
    top = 1.0
    for _, row in sub.iterrows():
        x = (row["published"] - day0).days if pd.notna(row["published"]) else 0
        x += offset[(row["article"], row["source"])]
        value, colour = row["value"], colours[row["source"]]
        low = row["low"] if pd.notna(row["low"]) else value
        high = row["high"] if pd.notna(row["high"]) else value
        ax.vlines(x, low, high, color=colour, lw=2.5, alpha=0.7)
        ax.plot(x, value, "o", color=colour, ms=7, mec="black", mew=0.5)
        if pd.isna(row["high"]):
            ax.annotate("", (x, value * 1.2 + 1), (x, value), arrowprops={"arrowstyle": "->", "color": colour})
        top = max(top, high, value * 1.2 + 1)
    for s in sources:
        ax.plot([], [], "o", color=colours[s], mec="black", mew=0.5, label=s[:50])
    if event:
        ax.axvspan((event[0] - day0).days - 0.45, (event[-1] - day0).days + 0.45, color="#d5d8dc", alpha=0.6,
                   zorder=0, label="event day(s)")
    if figures is not None:
        fig_rows = figures[(figures["incident"] == incident) & (figures["toll"] == toll)].set_index("policy")
        if "conservative" in fig_rows.index:
            cons = fig_rows.loc["conservative"]
            ax.axhspan(cons["low"], cons["high"], color="#f9e79f", alpha=0.5, zorder=0,
                       label=f"low-high {cons['low']}-{cons['high']}" + (" (open)" if cons["open high"] else ""))
        for policy, ls in (("conservative", "-"), ("ucdp", "--")):
            if policy in fig_rows.index and pd.notna(fig_rows.loc[policy, "best"]):
                ax.axhline(fig_rows.loc[policy, "best"], color="black", ls=ls, lw=1,
                           label=f"{policy} best = {fig_rows.loc[policy, 'best']}")
    span = int((last - day0).days)
    ax.set_xticks(range(span + 1), [(day0 + pd.Timedelta(days=t)).strftime("%Y-%m-%d") for t in range(span + 1)])
    ax.set_xlim(-0.6, span + 0.6)
    ax.set_ylim(0, top * 1.08)
    ax.set_xlabel("date (day): event, then the publication of each report")
    ax.set_ylabel(f"people {toll} (count)")
    ax.set_title(f"{incident}: {toll} claims by source")
    ax.legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def incident_map(locations: pd.DataFrame, title: str = "Where the incidents happened") -> Figure:
    """Incidents at their latitude / longitude, sized by killed (best), coloured by grade. No basemap."""
    fig, axes = _figure(8, 6)
    ax = axes[0, 0]
    killed = locations["killed (best)"].fillna(0).astype(float)
    for grade, colour in GRADE_COLOURS.items():
        sub = locations[locations["grade"] == grade]
        if not sub.empty:
            ax.scatter(sub["lon (deg E)"], sub["lat (deg N)"], s=40 + 8 * killed[sub.index], color=colour,
                       alpha=0.75, edgecolor="black", label=grade)
    seen: dict[tuple[float, float], int] = {}
    for _, row in locations.iterrows():
        at = (row["lon (deg E)"], row["lat (deg N)"])
        seen[at] = seen.get(at, -1) + 1  # stack the labels of incidents at one place
        ax.annotate(f"{row['place']} {row['date']}", at, fontsize=7, xytext=(8, 2 - 10 * seen[at]),
                    textcoords="offset points")
    if not locations.empty:  # a square window around the points, so degrees look alike on both axes
        lon, lat = locations["lon (deg E)"], locations["lat (deg N)"]
        half = max(lon.max() - lon.min(), lat.max() - lat.min()) / 2 + 0.75
        ax.set_xlim((lon.max() + lon.min()) / 2 - half, (lon.max() + lon.min()) / 2 + half)
        ax.set_ylim((lat.max() + lat.min()) / 2 - half, (lat.max() + lat.min()) / 2 + half)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, ls=":", lw=0.5)
    ax.set_xlabel("longitude (degrees east)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title(title + " (marker area ~ killed, best)")
    ax.legend(title="grade", frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
