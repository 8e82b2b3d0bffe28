"""Accounts URL patterns (UI, mounted under /ui/)."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("setup/<str:token>/", views.setup_view, name="setup"),
    path("account/password", views.password_change, name="password"),
]
