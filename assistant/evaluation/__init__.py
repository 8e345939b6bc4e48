"""Offline evaluations, one module per subject, each through the product's own ingest, index
and train path; each writes `bench/results/<name>.{json,md}` with `report.write`.

| subject | module | command |
|---|---|---|
| ranking (held-out baskets) | ranking.py | `shopassist eval ranking` |
| retrieval (Home Depot judgments) | retrieval.py | `shopassist eval retrieval` |
| explanations (verified sentences) | explain.py | `shopassist eval explain` |
| query understanding (filters) | understanding.py | `shopassist eval understanding` |
| review summaries | summaries.py | `shopassist eval summaries` |
"""
