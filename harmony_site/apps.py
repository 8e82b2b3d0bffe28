import logging

from django.apps import AppConfig


class HarmonySiteConfig(AppConfig):
    """The project package as an app: management commands and the built-in probes."""

    name = "harmony_site"
    verbose_name = "Harmony"

    def ready(self) -> None:
        from harmony_site import probes  # noqa: F401  (registers the built-in probes)

        # Python warnings become JSON log lines like everything else on stdout.
        logging.captureWarnings(True)
