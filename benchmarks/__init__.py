"""Benchmarks of xms against the original SDK and the raw floors: `./benchmarks/run`."""
