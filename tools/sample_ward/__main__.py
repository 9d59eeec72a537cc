"""``python -m tools.sample_ward [--out config/sample] [--seed 2026] [--check]``."""

from tools.sample_ward.cli import main

raise SystemExit(main())
