"""``report.html``: one self-contained page, an incident card each.

Article text is untrusted. Every string from an article goes through
``html.escape``; no article-supplied URL becomes a link (it is shown as text);
and a Content-Security-Policy forbids scripts and any request leaving the page,
so even a tag that slipped through could not run or call home.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from tolltrace.claims import Claim
from tolltrace.incidents import GRADE_RULES, Incident

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
h1{font-size:1.5rem} .card{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}
.card h2{font-size:1.15rem;margin:0 0 .5rem} .meta{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.9rem} td,th{border-bottom:1px solid #eee;padding:.25rem .4rem;
text-align:left;vertical-align:top} .fig{font-size:1.05rem} .denial{background:#fde2e2;border-left:4px solid #c0392b;
padding:.4rem .6rem;margin:.4rem 0} .grade{display:inline-block;padding:.1rem .5rem;border-radius:3px;background:#eef}
.grade.contested{background:#fde2e2} .grade.corroborated{background:#e2f5e2} mark{padding:0 .1rem}
mark.KILLED{background:#f8c9c9} mark.INJURED{background:#fde0b8} mark.SOURCE{background:#cfe3f7}
mark.DENIAL{background:#e3d3f5} mark.HEDGE{background:#d5f0d5} .timeline{border-left:2px solid #999;margin-left:.5rem;
padding-left:.8rem} .sent{margin:.3rem 0;font-size:.9rem}
"""


def _fig(fig) -> str:
    if fig is None:
        return "&mdash;"
    best = "&ndash;" if fig.best is None else str(fig.best)
    plus = "+" if fig.open_high else ""
    return f"low {fig.low} / best {best} / high {fig.high}{plus} <span class='meta'>({fig.reports} reports)</span>"


def _anchor(article_id: str, index: int) -> str:
    return "s-" + "".join(ch if ch.isalnum() else "-" for ch in f"{article_id}-{index}")


def _highlight(text: str, spans: Sequence[dict]) -> str:
    out, pos = [], 0
    for sp in sorted(spans, key=lambda s: s["start"]):
        out.append(escape(text[pos:sp["start"]]))
        label = sp["label"] if sp["label"] in ("KILLED", "INJURED", "SOURCE", "DENIAL", "HEDGE") else "X"
        out.append(f"<mark class='{label}' title='{label}'>{escape(text[sp['start']:sp['end']])}</mark>")
        pos = sp["end"]
    out.append(escape(text[pos:]))
    return "".join(out)


def _claim_row(c: Claim) -> str:
    when = escape(str(c.date.to_json())) if c.date else ""
    bounds = f"{c.low if c.low is not None else '?'}&ndash;{c.high if c.high is not None else '?'}"
    return (f"<tr><td>{when}</td><td>{escape(c.type)}</td><td class='fig'>{escape(str(c.value))} "
            f"<span class='meta'>({bounds}{', approx.' if c.approximate else ''})</span></td>"
            f"<td>{escape(c.text)}</td><td>{escape('; '.join(c.sources) or 'unattributed')}</td>"
            f"<td>{escape(', '.join(c.hedges))}</td>"
            f"<td><a href='#{_anchor(c.article_id, c.sentence_index)}'>{escape(c.article_id)}</a></td></tr>")


def _card(inc: Incident) -> str:
    loc = inc.location or {}
    place = escape(str(loc.get("name") or "unknown place"))
    country = escape(str(loc.get("country") or ""))
    date = escape(str(inc.date.to_json()) if inc.date else "undated")
    rows = "".join(_claim_row(c) for c in sorted(inc.claims, key=lambda c: (str(c.date.start) if c.date else "",
                                                                         c.article_id, c.sentence_index)))
    context = "".join(_claim_row(c) for c in inc.context)
    denials = "".join(
        f"<div class='denial'><b>Denial</b> by {escape('; '.join(d.sources) or 'unnamed party')}: "
        f"&ldquo;{escape(d.sentence)}&rdquo; <a href='#{_anchor(d.article_id, d.sentence_index)}'>"
        f"{escape(d.article_id)}</a></div>" for d in inc.denials)
    return f"""
<section class="card" id="{escape(inc.incident_id)}">
<h2>{place} <span class="meta">{country}</span> &middot; {date} &middot; {escape(inc.event or 'event kind not stated')}</h2>
<p><span class="grade {escape(inc.grade.replace(' ', '-'))}">{escape(inc.grade)}</span>
<span class="meta">{escape(GRADE_RULES.get(inc.grade, ''))}</span></p>
<p class="fig">Killed: {_fig(inc.killed)}<br>Injured: {_fig(inc.injured)}</p>
<p class="meta">{len(inc.articles)} article(s), {inc.independent_sources} independent report(s); sources:
{escape('; '.join(inc.sources()) or 'none named')}</p>
{denials}
<div class="timeline"><table><tr><th>date</th><th>type</th><th>figure</th><th>text</th><th>source</th><th>hedges</th>
<th>article</th></tr>{rows}</table></div>
{'<p class="meta">Cumulative totals (context, not in the toll):</p><table>' + context + '</table>' if context else ''}
</section>"""


def render_report(incidents: Sequence[Incident], sentences: Sequence[dict], articles: Sequence[dict],
                  policy: str) -> str:
    """The whole page as a string.

    ``sentences`` are the cited sentence records (``article_id``, ``sentence_index``,
    ``text``, ``spans``) in article order; ``articles`` the metadata of every article.
    """
    cited = "".join(
        f"<p class='sent' id='{_anchor(s['article_id'], s['sentence_index'])}'><b>{escape(s['article_id'])}</b> "
        f"#{s['sentence_index']}: {_highlight(s['text'], s['spans'])}</p>" for s in sentences)
    rows = "".join(
        f"<tr><td>{escape(a['article_id'])}</td><td>{escape(a.get('title') or '')}</td>"
        f"<td>{escape(a.get('outlet') or '')}</td><td>{escape(a.get('published') or '')}</td>"
        f"<td>{escape(a.get('url') or '')}</td></tr>" for a in articles)
    cards = "".join(_card(inc) for inc in incidents)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<title>tolltrace report</title><style>{STYLE}</style></head>
<body>
<h1>tolltrace: {len(incidents)} incident(s) from {len(articles)} article(s)</h1>
<p class="meta">Aggregation policy: {escape(policy)}. Figures link to the sentences they come from.</p>
{cards}
<h2>Sentences cited</h2>
{cited}
<h2>Articles</h2>
<table><tr><th>id</th><th>title</th><th>outlet</th><th>published</th><th>url (not a link)</th></tr>{rows}</table>
</body></html>
"""
