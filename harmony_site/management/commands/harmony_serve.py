"""`manage.py harmony_serve`: run gunicorn and the task cluster under one supervisor."""

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from harmony_site.serve import serve


class Command(BaseCommand):
    help = (
        "Run Harmony: migrate, start gunicorn on HTTP_BIND (and OAUTH_CALLBACK_BIND), then the "
        "task cluster once ready; SIGTERM/SIGINT stop both. See docs/health.md."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sys.exit(serve(settings.HARMONY))
