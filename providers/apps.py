from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"

    def ready(self) -> None:
        # Registers the slskd readiness probe and status section.
        from providers.slskd import probes  # noqa: F401
        from providers.spotify import probes as spotify_probes  # noqa: F401
