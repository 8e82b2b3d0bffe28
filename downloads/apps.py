from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(sender, **kwargs) -> None:
    from downloads.jobs.schedules import ensure_schedules

    ensure_schedules()


class DownloadsConfig(AppConfig):
    name = "downloads"
    verbose_name = "Downloads (HDM)"

    def ready(self) -> None:
        # After migrate (every start-up runs it) the sweeper and heartbeat schedules exist.
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="hdm-schedules")
        # probes registers the `cluster` probe; signals the timeline's side effects (metrics,
        # watched playlists' M3U8 files).
        from downloads import metrics, probes, signals  # noqa: F401

        metrics.register()
