"""Read back what ``tolltrace run`` wrote, for review (notebook 03, scripts).

Works on the published output files only (``incidents.jsonl``, ``claims.jsonl``,
``articles.jsonl``), never on the batch job's internals, so a review sees exactly
what a downstream user gets, and any change to how the job produces those files
(sharding, resuming) does not touch this module.

A toll can be re-aggregated under every policy from the claims file, with the
same function the batch job uses (:func:`tolltrace.incidents.aggregate_figures`),
so "what would UCDP's rule give here?" needs no second run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tolltrace.annotations import iter_jsonl
from tolltrace.claims import Claim
from tolltrace.dates import DateRange
from tolltrace.errors import Errors, InputError, TolltraceError
from tolltrace.incidents import aggregate_figures
from tolltrace.policies import POLICIES, Figures

REQUIRED_FILES = ("incidents.jsonl", "claims.jsonl", "articles.jsonl")


@dataclass
class RunOutput:
    """The records of one batch run, as the JSON dicts the job wrote."""

    folder: Path
    incidents: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def claims_of(self, incident: dict) -> list[dict]:
        """The claims an incident counts (its ``claims`` ids), in file order."""
        wanted = set(incident.get("claims", []))
        return [c for c in self.claims if c["claim_id"] in wanted]


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    for lineno, rec in iter_jsonl(path):
        if isinstance(rec, InputError) or not isinstance(rec, dict):
            reason = "not valid JSON" if isinstance(rec, InputError) else "not a JSON object"
            raise TolltraceError(Errors.E073.format(file=path, line=lineno, reason=reason))
        rows.append(rec)
    return rows


def load_run(folder: Path) -> RunOutput:
    """Read a batch output folder; a missing file is E072, a bad line E073 (file and line named)."""
    folder = Path(folder)
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            raise TolltraceError(Errors.E072.format(path=folder, file=name))
    out = RunOutput(folder, _read_jsonl(folder / "incidents.jsonl"), _read_jsonl(folder / "claims.jsonl"),
                    _read_jsonl(folder / "articles.jsonl"))
    if (folder / "errors.jsonl").is_file():
        out.errors = _read_jsonl(folder / "errors.jsonl")
    for lineno, rec in enumerate(out.claims, 1):
        for key in ("claim_id", "article_id", "type"):
            if key not in rec:
                raise TolltraceError(Errors.E073.format(file=folder / "claims.jsonl", line=lineno,
                                                        reason=f"no '{key}'"))
    for lineno, rec in enumerate(out.incidents, 1):
        if "incident_id" not in rec:
            raise TolltraceError(Errors.E073.format(file=folder / "incidents.jsonl", line=lineno,
                                                    reason="no 'incident_id'"))
    return out


def date_from_json(value: str | dict | None) -> DateRange | None:
    """The inverse of ``DateRange.to_json``: ``"2024-12-01"`` or ``{"start", "end"}``."""
    if value is None:
        return None
    if isinstance(value, str):
        day = date.fromisoformat(value)
        return DateRange(day, day, value)
    return DateRange(date.fromisoformat(value["start"]), date.fromisoformat(value["end"]), "")


def claim_from_json(rec: dict) -> Claim:
    """A :class:`Claim` from one ``claims.jsonl`` record (the fields ``to_json`` writes)."""
    return Claim(
        claim_id=rec["claim_id"], article_id=rec["article_id"], sentence_index=int(rec.get("sentence_index", 0)),
        start=int(rec.get("start", 0)), end=int(rec.get("end", 0)), text=rec.get("text", ""), type=rec["type"],
        value=rec.get("value"), low=rec.get("low"), high=rec.get("high"),
        approximate=bool(rec.get("approximate", False)), group=rec.get("group"),
        sources=tuple(rec.get("sources") or ()), hedges=tuple(rec.get("hedges") or ()),
        denied=bool(rec.get("denied", False)), cumulative=bool(rec.get("cumulative", False)), score=rec.get("score"),
        location=rec.get("location"), date=date_from_json(rec.get("date")), event=rec.get("event"),
        incident_id=rec.get("incident_id"),
    )


def figures_by_policy(run: RunOutput, incident: dict) -> dict[str, dict[str, Figures | None]]:
    """``{policy: {"killed": Figures, "injured": Figures}}`` for one incident, from its claims."""
    claims = [claim_from_json(c) for c in run.claims_of(incident)]
    return {policy: {kind: aggregate_figures([c for c in claims if c.type == kind], policy)
                     for kind in ("killed", "injured")}
            for policy in POLICIES}
