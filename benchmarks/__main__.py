"""``python -m benchmarks [--quick | --smoke] [--only PREFIX] [--json PATH]``."""

from benchmarks.runner import main

raise SystemExit(main())
