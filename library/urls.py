"""Library URL patterns (UI, mounted under /ui/)."""

from django.urls import path

from library import views

app_name = "library"

urlpatterns = [
    path("library", views.library, name="library"),
    path("library/artists/<int:artist_id>", views.artist, name="artist"),
    path("library/albums/<int:album_id>", views.album, name="album"),
    path("library/tracks/<int:track_id>", views.track, name="track"),
    path("library/quarantine", views.quarantine, name="quarantine"),
    path("library/quarantine/retry", views.quarantine_retry, name="quarantine-retry"),
    path("library/quarantine/release", views.quarantine_release, name="quarantine-release"),
    path("library/quarantine/delete", views.quarantine_delete, name="quarantine-delete"),
    path("library/files/<int:file_id>/spectrogram.png", views.spectrogram, name="spectrogram"),
    path("library/verify", views.verify_start, name="verify-start"),
    path("library/verify/<int:run_id>", views.verify_progress, name="verify-progress"),
]
