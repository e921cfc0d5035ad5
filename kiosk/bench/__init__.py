"""Measurements of the whole loop: latency per stage, FPS, A/V sync, memory, accuracy.

``run_bench`` runs the bench corpus through the streaming pipeline, the sequential
baseline and each stage alone; ``kiosk.bench.report`` checks, prints, plots,
compares and stores the result.
"""

from __future__ import annotations

from kiosk.bench.report import (
    Change,
    compare_reports,
    last_bench,
    load_report,
    markdown_report,
    plot_report,
    print_report,
    store_report,
    validate_report,
)
from kiosk.bench.session import SCHEMA_VERSION, run_bench

__all__ = [
    "SCHEMA_VERSION",
    "Change",
    "compare_reports",
    "last_bench",
    "load_report",
    "markdown_report",
    "plot_report",
    "print_report",
    "run_bench",
    "store_report",
    "validate_report",
]
