#!/usr/bin/env python3
"""Django's command-line utility for the pg_safemigrate client test (test/clients/run.sh)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sm_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
