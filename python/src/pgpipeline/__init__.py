"""pgpipeline: the pipeline PostgreSQL extension from Python.

    import psycopg, pgpipeline
    with psycopg.connect(autocommit=True) as conn:
        pgpipeline.define(conn, "orders", {"type": "object", "required": ["id"]})
        for f in pgpipeline.validate_many(conn, "orders", [{"id": 1}, {}]):
            print(f.index, [str(v) for v in f.violations])

See docs/python.md in the extension's repository; `pgpipeline --help` for
the command-line tool.
"""

from ._types import (Failure, IngestResult, KeywordCount, PipelineStats, PipelineVersion, Profile,
                     Reject, ReplayResult, Violation)
from .api import (check_batches, define, drop, ingest, process, profile, rejects,
                  rejects_summary, replay, reset_stats, spec_from, stats, validate_many, versions)
from .errors import (ExtensionMissing, PipelineError, PipelineViolation, SourceError,
                     UnknownPipeline, translated)

__version__ = "0.2.0"

__all__ = [
    "define", "drop", "versions", "spec_from", "validate_many", "check_batches", "process",
    "ingest", "rejects", "rejects_summary", "replay", "profile", "stats", "reset_stats", "translated",
    "Violation", "Failure", "IngestResult", "Reject", "KeywordCount", "ReplayResult",
    "PipelineVersion", "PipelineStats", "Profile",
    "PipelineError", "PipelineViolation", "UnknownPipeline", "ExtensionMissing", "SourceError",
]
