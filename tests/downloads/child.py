"""Imported first by child processes of the HDM tests: Django set up on the test database."""

import os

import django
from django.conf import settings

django.setup()
# The child must use the parent's test database, not the production one the settings name.
settings.DATABASES["default"]["NAME"] = os.environ["HARMONY_TEST_DB_NAME"]
from django.db import connections  # noqa: E402

connections["default"].settings_dict["NAME"] = os.environ["HARMONY_TEST_DB_NAME"]
