"""Library REST API URL patterns (mounted under /api/v1/)."""

from django.urls import path

from library.api import views

urlpatterns = [
    path("library/artists", views.ArtistList.as_view(), name="api-artists"),
    path("library/artists/<int:pk>", views.ArtistDetail.as_view(), name="api-artist"),
    path("library/albums", views.AlbumList.as_view(), name="api-albums"),
    path("library/albums/<int:pk>", views.AlbumDetail.as_view(), name="api-album"),
    path("library/tracks", views.TrackList.as_view(), name="api-tracks"),
    path("library/tracks/<int:pk>", views.TrackDetail.as_view(), name="api-track"),
    path("library/files", views.FileList.as_view(), name="api-files"),
    path("library/files/<int:pk>", views.FileDetail.as_view(), name="api-file"),
    path("library/scans", views.ScanList.as_view(), name="api-scans"),
    path("library/scans/<int:pk>", views.ScanDetail.as_view(), name="api-scan"),
    path("library/verify-runs", views.VerifyRunList.as_view(), name="api-verify-runs"),
    path("library/verify-runs/<int:pk>", views.VerifyRunDetail.as_view(), name="api-verify-run"),
    path("activity", views.ActivityList.as_view(), name="api-activity"),
]
