"""Benchmarks, one script per figure; results are recorded in BENCHMARKS.md."""
