from tolltrace.cli import app

app()
