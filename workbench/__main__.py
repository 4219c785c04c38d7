"""``python -m workbench``: the same as the ``workbench`` command (useful where
the Scripts folder of a user install is not on PATH)."""

import sys

from .cli import main

sys.exit(main())
