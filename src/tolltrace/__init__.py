"""tolltrace: auditable casualty claims from conflict news.

Pipeline stages: ``segment -> tag -> claims -> incidents``; each takes and returns
the typed records of :mod:`tolltrace.types`.
"""

__version__ = "0.1.0"
