"""`make bench` must keep running: its in-process measurement calls the pipeline the routes call, so a
change of that pipeline's signature broke the benchmark silently once. One short in-process run here."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_in_process_measurement_runs_the_route_pipeline() -> None:
    from scripts import bench

    result = bench.in_process(len(bench.DOCS))
    assert result["n"] == len(bench.DOCS)
    assert len(result["p50_by_doc"]) == len(bench.DOCS)
    assert all(t > 0 for t in result["p50_by_doc"]) and result["p50"] > 0
