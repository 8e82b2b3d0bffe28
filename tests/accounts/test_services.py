"""Users, roles, the first admin, the setup wizard and API-key services and commands."""

import dataclasses
import logging
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from accounts import services
from accounts.models import APIKey, SetupToken
from accounts.roles import has_role, user_role
from harmony_site.config import get_config
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_role_groups_carry_their_permissions():
    perms = {
        g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()
    }
    assert perms["viewer"] == {"view"}
    assert "submit_jobs" in perms["operator"] and "purge_dlq" not in perms["operator"]
    assert perms["admin"] >= perms["operator"] | {"manage_keys", "manage_users", "purge_dlq"}


def test_roles_nest_and_superusers_are_admins(make_user):
    viewer, operator, admin = make_user("v"), make_user("o", "operator"), make_user("a", "admin")
    assert user_role(viewer) == "viewer" and not has_role(viewer, "operator")
    assert has_role(operator, "viewer") and not has_role(operator, "admin")
    assert has_role(admin, "operator") and admin.is_staff
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    assert user_role(root) == "admin"
    assert operator.has_perm("accounts.manage_jobs") and not operator.has_perm("accounts.purge_dlq")
    assert admin.has_perm("library.change_track")  # admins use the whole admin console


def test_disabled_user_has_no_role_and_loses_sessions(make_user):
    user = make_user("ann", "operator")
    client = Client()
    client.force_login(user)
    services.disable_user(user=user, actor="test")
    user.refresh_from_db()
    assert user_role(user) is None
    assert "_auth_user_id" not in client.session


def test_weak_password_and_unknown_role_are_refused(db):
    with pytest.raises(ValidationError):
        services.create_user(username="ann", password="123", role="viewer", actor="test")
    with pytest.raises(services.AccountError, match="unknown role"):
        services.create_user(username="ann", password=PASSWORD, role="root", actor="test")


def test_admin_site_is_for_admins_only(logged_in):
    assert logged_in("operator").get("/admin/")["Location"].startswith("/admin/login/")
    assert logged_in("admin").get("/admin/").status_code == 200


def test_bootstrap_creates_the_first_admin_from_the_environment_once(knobs):
    knobs.update(HARMONY_ADMIN_USER="boss", HARMONY_ADMIN_PASSWORD=PASSWORD)
    assert services.bootstrap_first_admin() is None
    boss = get_user_model().objects.get()
    assert boss.is_superuser and user_role(boss) == "admin"
    knobs["HARMONY_ADMIN_USER"] = "other"
    services.bootstrap_first_admin()
    assert get_user_model().objects.count() == 1


def test_bootstrap_without_credentials_logs_a_one_time_setup_url(caplog):
    with caplog.at_level(logging.WARNING, logger="hdm.accounts"):
        path = services.bootstrap_first_admin()
    assert path and path in caplog.text
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in "".join(SetupToken.objects.values_list("token_hash", flat=True))
    client = Client()
    assert client.get(path).status_code == 200
    form = {"username": "first", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(path, form)
    assert response.status_code == 302 and response["Location"] == "/ui/"
    assert user_role(get_user_model().objects.get(username="first")) == "admin"
    assert Client().get(path).status_code == 404
    assert Client().post(path, {**form, "username": "second"}).status_code == 404
    assert get_user_model().objects.count() == 1


def test_a_new_setup_token_replaces_the_old_one():
    old = services.create_setup_token()
    new = services.create_setup_token()
    assert not services.setup_token_is_valid(old)
    assert services.setup_token_is_valid(new)
    assert Client().get("/ui/setup/not-a-token/").status_code == 404


def test_setup_form_shows_password_errors_and_keeps_the_token():
    token = services.create_setup_token()
    form = {"username": "first", "password1": "123", "password2": "123"}
    response = Client().post(f"/ui/setup/{token}/", form)
    assert response.status_code == 200 and b"too short" in response.content
    assert services.setup_token_is_valid(token)


def test_harmony_user_command_adds_changes_disables_and_lists(monkeypatch):
    monkeypatch.setenv("HARMONY_NEW_PASSWORD", PASSWORD)
    call_command("harmony_user", "add", "ann", "--role", "viewer", stdout=StringIO())
    call_command("harmony_user", "role", "ann", "operator", stdout=StringIO())
    out = StringIO()
    call_command("harmony_user", "list", stdout=out)
    assert "ann" in out.getvalue() and "operator" in out.getvalue()
    call_command("harmony_user", "disable", "ann", stdout=StringIO())
    assert not get_user_model().objects.get(username="ann").is_active
    with pytest.raises(CommandError, match="already exists"):
        call_command("harmony_user", "add", "ann", "--role", "viewer")
    with pytest.raises(CommandError, match="no user"):
        call_command("harmony_user", "role", "bob", "admin")


def test_harmony_apikey_command_prints_the_key_once_and_revokes(client):
    out = StringIO()
    call_command(
        "harmony_apikey",
        "create",
        "--name",
        "ci",
        "--role",
        "operator",
        "--expires",
        "30",
        stdout=out,
        stderr=StringIO(),
    )
    key = out.getvalue().strip()
    stored = APIKey.objects.get()
    assert stored.role == "operator" and stored.expiry_date is not None
    listing = StringIO()
    call_command("harmony_apikey", "list", stdout=listing)
    assert stored.prefix in listing.getvalue() and key not in listing.getvalue()
    call_command("harmony_apikey", "revoke", stored.prefix, stdout=StringIO())
    assert APIKey.objects.get().revoked
    with pytest.raises(CommandError, match="no API key"):
        call_command("harmony_apikey", "revoke", "nope")


def test_api_key_created_in_the_admin_is_shown_once(logged_in):
    client = logged_in("admin")
    response = client.post(
        "/admin/accounts/apikey/add/", {"name": "ha", "role": "viewer"}, follow=True
    )
    assert response.status_code == 200
    key = APIKey.objects.get()
    assert key.created_by == "user:admin"
    shown = re.search(rf"{key.prefix}\.[A-Za-z0-9]{{32}}\b", response.content.decode())
    assert shown and key.is_valid(shown.group())
    assert shown.group() not in client.get("/admin/accounts/apikey/").content.decode()


def test_secrets_never_reach_the_log_or_the_displayed_configuration(knobs, caplog):
    knobs.update(
        HARMONY_ADMIN_USER="boss",
        HARMONY_ADMIN_PASSWORD=PASSWORD,
        HARMONY_API_KEYS=["env-secret-key-0123456789"],
    )
    with caplog.at_level(logging.DEBUG):
        services.bootstrap_first_admin()
        _, plaintext = services.create_api_key(name="ci", role="viewer", actor="test")
        services.revoke_api_key(key=plaintext.partition(".")[0], actor="test")
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    for secret in (PASSWORD, plaintext, plaintext.partition(".")[2], "env-secret-key-0123456789"):
        assert secret not in logged
    config = dataclasses.replace(get_config(), values=knobs)
    assert config.display_value("HARMONY_ADMIN_PASSWORD") == "********"
    assert config.display_value("HARMONY_API_KEYS") == "********"


def test_the_last_active_admin_cannot_be_demoted_or_disabled(make_user):
    boss = make_user("boss", "admin")
    with pytest.raises(services.AccountError, match="last active admin"):
        services.set_role(user=boss, role="viewer", actor="test")
    with pytest.raises(services.AccountError, match="last active admin"):
        services.disable_user(user=boss, actor="test")
    make_user("deputy", "admin")
    services.set_role(user=boss, role="viewer", actor="test")
    assert user_role(boss) == "viewer"
