"""Allow ``python -m api`` as an alias of the ``hotline`` command."""

import sys

from api.cli import main

sys.exit(main())
