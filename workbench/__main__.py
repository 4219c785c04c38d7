"""``python -m workbench``: the same as the ``workbench`` command (useful where
the Scripts folder of a user install is not on PATH)."""

import gc
import sys

# Importing makes many objects and next to no garbage: Python's cycle
# collector waits, here until a command starts (cli.main), or for the window
# until it has been painted (gui.app.run).
gc.disable()
_args = sys.argv[1:]
if len(_args) == 2 and _args[0] == "open" and not _args[1].startswith("-"):
    # ``open FILE``: the window at once, as cli.main does, without loading the other commands
    from .gui.app import run

    sys.exit(run(_args[1]))
from .cli import main

sys.exit(main())
