"""`python -m appsync_local --config config.json`: the same as the `appsync-local` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
