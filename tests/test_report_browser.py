"""report.html in a real headless browser: it renders, and hostile article text stays inert."""

import http.server
import json
import shutil
import subprocess
import threading

import pytest

from test_claims_incidents import PHRASES, PhraseTagger
from tolltrace.batch import run


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it.")
    return path


@pytest.fixture()
def trap_server():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_report_renders_and_hostile_text_is_inert(tmp_path, trap_server):
    base, hits = trap_server
    articles = tmp_path / "in"
    articles.mkdir()
    hostile = (f'At least 30 people died in airstrikes on Idlib, Syria on Tuesday, witnesses said. '
               f'<script>fetch("{base}/script");document.body.innerHTML="<p id=pwned>x</p>"</script> '
               f'The Syrian Observatory said 26 were killed <img src="{base}/img" '
               f'onerror="document.body.innerHTML=\'<p id=pwned>y</p>\'"> in Idlib on Tuesday. '
               f'<a href="javascript:document.body.innerHTML=1">Ten children</a> were among the dead.')
    (articles / "hostile.txt").write_text(hostile, encoding="utf-8")
    (articles / "hostile.json").write_text(json.dumps({
        "published": "2017-02-08", "title": f"<script>fetch('{base}/title')</script>",
        "url": "javascript:fetch('/x')", "outlet": f"<img src={base}/outlet>"}))
    out = tmp_path / "out"
    summary = run(articles, out, PhraseTagger(PHRASES), progress=False)
    assert summary.incidents >= 1
    report = out / "report.html"
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert 'href="javascript' not in html and "href='javascript" not in html

    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000", "--dump-dom",
         report.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert "tolltrace: 1 incident(s)" in dom or "incident(s) from 1 article(s)" in dom
    assert 'class="card"' in dom and "Killed: low 26 / best 26 / high 30" in dom
    assert "pwned" not in dom.replace("&lt;p id=pwned&gt;", "").replace("id=pwned", "") or 'id="pwned"' not in dom
    assert 'id="pwned"' not in dom
    assert "&lt;script&gt;" in dom          # shown as text
    assert hits == []                        # no request left the page
    assert "Uncaught" not in proc.stderr
