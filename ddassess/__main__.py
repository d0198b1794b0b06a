"""``python -m ddassess``: the same as the ``ddassess`` command."""

import sys

from ddassess.cli import main

sys.exit(main())
