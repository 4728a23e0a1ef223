"""`python -m farmhand` runs the command line."""

import sys

from farmhand.cli import main

sys.exit(main())
