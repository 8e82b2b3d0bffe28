"""UI URL patterns of the installation itself (mounted under /ui/): Settings, System and the
Spotify page.

The API-key and user forms of Settings are served by `accounts.views`.
"""

from django.urls import path

from accounts import views as accounts_views
from harmony_site.views import settings, spotify, system

app_name = "ui"

urlpatterns = [
    path("settings", settings.settings_page, name="settings"),
    path("settings/apply", settings.settings_apply, name="settings-apply"),
    path("settings/naming-preview", settings.naming_preview, name="naming-preview"),
    path("settings/slskd/test", settings.slskd_test, name="slskd-test"),
    path("spotify", spotify.spotify_page, name="spotify"),
    path("spotify/library", spotify.spotify_library, name="spotify-library"),
    path("spotify/connect", spotify.spotify_connect, name="spotify-connect"),
    path("spotify/connected", spotify.spotify_connected, name="spotify-connected"),
    path("spotify/manual", spotify.spotify_manual, name="spotify-manual"),
    path("spotify/disconnect", spotify.spotify_disconnect, name="spotify-disconnect"),
    path("spotify/download", spotify.spotify_download, name="spotify-download"),
    path("spotify/follow", spotify.spotify_follow, name="spotify-follow"),
    path("spotify/artwork", spotify.spotify_artwork, name="spotify-artwork"),
    path("settings/keys", accounts_views.key_create, name="key-create"),
    path("settings/keys/<str:key_id>/revoke", accounts_views.key_revoke, name="key-revoke"),
    path("settings/users", accounts_views.user_create, name="user-create"),
    path("settings/users/<int:user_id>", accounts_views.user_update, name="user-update"),
    path("system", system.system, name="system"),
]
