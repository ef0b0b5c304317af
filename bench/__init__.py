"""Benchmarks at MOOC scale (never part of the test run). `python -m bench` runs them all."""
