"""UI URL patterns of the installation itself (mounted under /ui/): Settings and System."""

from django.urls import path

from harmony_site import views

app_name = "ui"

urlpatterns = [
    path("settings", views.settings_page, name="settings"),
    path("settings/naming-preview", views.naming_preview, name="naming-preview"),
    path("settings/slskd/test", views.slskd_test, name="slskd-test"),
    path("settings/spotify/connect", views.spotify_connect, name="spotify-connect"),
    path("settings/spotify/manual", views.spotify_manual, name="spotify-manual"),
    path("settings/spotify/disconnect", views.spotify_disconnect, name="spotify-disconnect"),
    path("settings/keys", views.key_create, name="key-create"),
    path("settings/keys/<str:key_id>/revoke", views.key_revoke, name="key-revoke"),
    path("settings/users", views.user_create, name="user-create"),
    path("settings/users/<int:user_id>", views.user_update, name="user-update"),
    path("system", views.system, name="system"),
]
