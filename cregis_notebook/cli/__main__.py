"""``python -m cregis_notebook.cli``: the same as the ``cregis-notebook`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
