from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedule(sender, **kwargs) -> None:
    from harmony_site.integrations.schedules import ensure_schedule

    ensure_schedule()


class IntegrationsConfig(AppConfig):
    name = "harmony_site.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        post_migrate.connect(_ensure_schedule, sender=self, dispatch_uid="integrations-schedule")
        # signals turns imports, dead jobs and watchlist finds into events; metrics and status
        # expose the delivery log to Prometheus and /api/v1/status.
        from harmony_site.integrations import metrics, signals, status  # noqa: F401

        metrics.register()
