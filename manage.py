#!/usr/bin/env python
"""Same as the ``coopctg`` command (kept for Django habits)."""

from coopctg.cli import main

if __name__ == "__main__":
    main()
