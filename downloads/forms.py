"""Forms of the download manager's UI panels (validation only; the work is in services)."""

from __future__ import annotations

from django import forms

from downloads.models import TERMINAL_STATES, DeadReason, JobKind

RELEASE_TYPES = (
    ("album", "Albums"),
    ("single", "Singles"),
    ("compilation", "Compilations"),
    ("appears_on", "Appears on"),
)


class LinksForm(forms.Form):
    links = forms.CharField(
        label="Spotify links",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "https://open.spotify.com/track/…"}),
        help_text="One link or URI per line: tracks, albums, playlists or artists.",
        max_length=20000,
    )
    force = forms.BooleanField(label="Download even if the library already has it", required=False)

    def clean_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines()]
        links = [line for line in lines if line]
        if not links:
            raise forms.ValidationError("Paste at least one link.")
        if len(links) > 100:
            raise forms.ValidationError("At most 100 links at once.")
        return links


class TextListForm(forms.Form):
    text = forms.CharField(
        label="Text list",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "Artist - Title"}),
        help_text='One "Artist - Title" per line.',
    )


class CsvForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="An Exportify-style export (.csv).")


class SearchForm(forms.Form):
    q = forms.CharField(label="Search Spotify", max_length=200, required=False)


class PriorityForm(forms.Form):
    priority = forms.IntegerField(label="Priority", min_value=-1000, max_value=1000)


class HistoryFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Any final state")] + [(s.value, s.label) for s in TERMINAL_STATES],
    )
    kind = forms.ChoiceField(
        label="Source", required=False, choices=[("", "Any")] + list(JobKind.choices)
    )
    q = forms.CharField(label="Text", required=False, max_length=200)


class DlqFilterForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason", required=False, choices=[("", "Every reason")] + list(DeadReason.choices)
    )
    q = forms.CharField(label="Text", required=False, max_length=200)


class IdListField(forms.Field):
    """Repeated `ids=` parameters as integers (any id: the service skips ones not dead)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: list[str] | None) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError("Job ids must be whole numbers.") from None


class DlqActionForm(forms.Form):
    """Which dead jobs a bulk action applies to: picked ids, or every job of one reason."""

    ids = IdListField(required=False)
    reason = forms.ChoiceField(required=False, choices=[("", "")] + list(DeadReason.choices))

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("ids") and not data.get("reason"):
            raise forms.ValidationError("Pick some dead jobs or a reason first.")
        return data


class WatchlistForm(forms.Form):
    link = forms.CharField(
        label="Spotify artist or playlist link",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "https://open.spotify.com/artist/…"}),
    )
    release_types = forms.MultipleChoiceField(
        label="Release types (artists)",
        choices=RELEASE_TYPES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    since = forms.DateField(
        label="Only releases since (artists)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: from today on.",
    )
    sync_minutes = forms.IntegerField(
        label="Sync every (minutes)",
        required=False,
        min_value=5,
        max_value=7 * 24 * 60,
        help_text="Empty: the WATCHLIST_SYNC_MINUTES setting.",
    )


class WatchlistUpdateForm(forms.Form):
    enabled = forms.BooleanField(label="Enabled", required=False)
    release_types = forms.MultipleChoiceField(
        label="Release types",
        choices=RELEASE_TYPES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    since = forms.DateField(
        label="Since", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sync_minutes = WatchlistForm.base_fields["sync_minutes"]
