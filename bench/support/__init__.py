"""Helpers shared by the benchmarks (a package, so `make bench` does not run it as a script)."""
