"""`python -m labkit` runs the command line, like the `labkit` script."""

from .tools.cli import main

raise SystemExit(main())
