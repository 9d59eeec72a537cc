"""Benchmark of kynangso-sync on tiled wards: ``python -m bench --help``."""
