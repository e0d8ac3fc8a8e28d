"""`python -m dashboard ...`: the command line (cuts, users, demo data)."""

import sys

from dashboard.cli import main

sys.exit(main())
