"""Turn a scraped page into article text: strip HTML, drop page boilerplate.

Scraped news carries lines that are not the article: share-button markers
("[ssba]", "fbpx"), app and newsletter blurbs ("Get all your news in one place."),
comment-policy lines, "More from ..." navigation, photo credits, and the headline
printed twice. They would otherwise become sentences, and a repeated headline
would count a casualty figure twice. Cleaning is line-based and conservative: a
line is dropped only when it matches a known pattern, repeats an earlier line,
or is a single navigation word. Every kept character remembers where it came from
(``Article.offsets``), so a sentence can always be shown in the original page.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

BOILERPLATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.I) for p in (
    r"^\[?(ssba|fbpx|addtoany|sharethis)[\w-]*\]?$",
    r"^(sign up|subscribe|register|log ?in)\b.{0,80}(read|article|newsletter|free|access)",
    r"^(get all your news in one place|start reading|our picks|already a member\?.{0,20})\.?$",
    r"^one app\.( one membership\.)?$",
    r"^(read news from|top stories on)\b.{0,80}$",
    r"^\d+\+? trusted (global )?sources\.?$",
    r"^\w+ days free$",
    r"^\d+[’']?s of premium titles\.?$",
    r"^(download|get) (the|our) .{0,30}app\b",
    r"^(follow|like) us on\b",
    r"^(share|tweet|email|print|whatsapp|facebook|twitter|linkedin)( this)?( article| story| on \w+)?:?$",
    r"^(advertisement|sponsored( content)?|related( articles| stories)?|read more|more from [\w ]{1,40})$",
    r"\bcomments? (posted|policy)\b.{0,120}$",
    r"^kindly refrain\b",
    r"^(photo|image|file photo|video)( credit)?:",
    r"^[A-Z][A-Z .'’-]{2,40}/(AFP|AP|REUTERS|GETTY( IMAGES)?|EPA|ANADOLU|SANA)$",
    r"^(copyright|©|all rights reserved)",
    r"^(blogs|news|world|home|menu|search|opinion|video|live)$",
))


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block element per line; scripts and styles removed."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "svg", "head"]):
        tag.decompose()
    text = soup.get_text("\n")
    return "\n".join(line.strip() for line in text.splitlines())


def looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<body" in head or "<p>" in head or "<div" in head or "<!doctype html" in head


def is_boilerplate(line: str) -> bool:
    stripped = line.strip()
    return any(p.search(stripped) for p in BOILERPLATE_PATTERNS)


def remove_boilerplate(raw: str) -> tuple[str, tuple[int, ...], int]:
    """Return ``(clean_text, offsets, lines_removed)``; ``offsets[i]`` indexes ``raw``.

    Kept lines are joined with single newlines; blank lines and dropped lines vanish.
    """
    pieces: list[str] = []
    offsets: list[int] = []
    seen: set[str] = set()
    removed = 0
    for match in re.finditer(r"[^\n]+", raw):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        key = re.sub(r"\s+", " ", stripped).lower()
        if is_boilerplate(stripped) or key in seen:
            removed += 1
            continue
        seen.add(key)
        lead = len(line) - len(line.lstrip())
        start = match.start() + lead
        if pieces:
            pieces.append("\n")
            offsets.append(start - 1)  # the separator maps to the raw character before the line
        pieces.append(stripped)
        offsets.extend(range(start, start + len(stripped)))
    return "".join(pieces), tuple(offsets), removed
