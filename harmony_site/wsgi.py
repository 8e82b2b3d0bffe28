"""WSGI entry point for gunicorn (started by `manage.py harmony_serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harmony_site.settings")

application = get_wsgi_application()
