"""`python -m dashboard.ingest cuts ...`: the cuts commands without the rest of the command line."""

import sys

from dashboard.ingest.cli import main

sys.exit(main())
