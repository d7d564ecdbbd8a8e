"""Benchmarks: each prints its figures, its target and PASS or FAIL; ``--smoke`` is CI's size."""
