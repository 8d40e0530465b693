"""Benchmarks (see BENCHMARKS.md); not part of the installed package."""
