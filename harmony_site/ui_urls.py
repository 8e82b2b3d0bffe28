"""UI URL patterns of the installation itself (mounted under /ui/): Settings, System and the
Spotify connection page."""

from django.urls import path

from harmony_site import spotify_views, views

app_name = "ui"

urlpatterns = [
    path("settings", views.settings_page, name="settings"),
    path("settings/naming-preview", views.naming_preview, name="naming-preview"),
    path("settings/slskd/test", views.slskd_test, name="slskd-test"),
    path("spotify", spotify_views.spotify_page, name="spotify"),
    path("spotify/library", spotify_views.spotify_library, name="spotify-library"),
    path("spotify/connect", spotify_views.spotify_connect, name="spotify-connect"),
    path("spotify/connected", spotify_views.spotify_connected, name="spotify-connected"),
    path("spotify/manual", spotify_views.spotify_manual, name="spotify-manual"),
    path("spotify/disconnect", spotify_views.spotify_disconnect, name="spotify-disconnect"),
    path("spotify/download", spotify_views.spotify_download, name="spotify-download"),
    path("spotify/follow", spotify_views.spotify_follow, name="spotify-follow"),
    path("spotify/artwork", spotify_views.spotify_artwork, name="spotify-artwork"),
    path("settings/keys", views.key_create, name="key-create"),
    path("settings/keys/<str:key_id>/revoke", views.key_revoke, name="key-revoke"),
    path("settings/users", views.user_create, name="user-create"),
    path("settings/users/<int:user_id>", views.user_update, name="user-update"),
    path("system", views.system, name="system"),
]
