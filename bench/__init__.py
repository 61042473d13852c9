"""Pitstop benchmarks (`make bench` = `python -m bench`): side-by-side ratios, see bench/README.md."""
