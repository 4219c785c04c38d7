"""``python -m workbench``: the same as the ``workbench`` command (useful where
the Scripts folder of a user install is not on PATH)."""

import gc
import sys

# Importing makes many objects and next to no garbage: Python's cycle
# collector waits, here until a command starts (cli.main), or for the window
# until it has been painted (gui.app.run).
gc.disable()
from .cli import main

sys.exit(main())
