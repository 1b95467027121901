"""Allow ``python -m api.cli``."""

import sys

from api.cli import main

sys.exit(main())
