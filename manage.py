#!/usr/bin/env python
"""Django's command-line utility for Harmony."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harmony_site.settings")
    from harmony_site.config import ConfigError, get_config

    try:
        get_config()
    except ConfigError as exc:
        # One line an operator can act on, never a traceback.
        sys.stderr.write(f"harmony: configuration error: {exc}\n")
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
