from __future__ import annotations

from typing import Any

from django import forms

from accounts.roles import ROLES


class FirstAdminForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Name", max_length=50)
    role = forms.ChoiceField(label="Role", choices=[(r, r) for r in ROLES], initial="viewer")
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Empty: never expires.",
    )


class UserForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=200,
    )
    role = forms.ChoiceField(label="Role", choices=[(r, r) for r in ROLES], initial="viewer")


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=[(r, r) for r in ROLES])
