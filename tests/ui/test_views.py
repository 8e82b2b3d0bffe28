"""Every UI panel and partial: status per role, the content that matters, HTMX partials,
and server-side refusal of actions a role may not take (a hidden button is not the guard)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from downloads.models import Candidate, DeadLetterAction, Job, JobState, Watchlist
from library.models import AuditEvent
from tests.factories import LibraryFileFactory
from tests.ui.conftest import PASSWORD, make_candidate, make_job

HX = {"HTTP_HX_REQUEST": "true"}

PAGES = [
    "/ui/",
    "/ui/operations",
    "/ui/downloads",
    "/ui/downloads/live",
    "/ui/watchlists",
    "/ui/spotify",
    "/ui/library",
    "/ui/dlq",
    "/ui/system",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_every_role_sees_the_read_panels(url, viewer, operator, admin):
    for client in (viewer, operator, admin):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<script" not in response.content.split(b"</head>")[-1], "no inline script"
        assert b"style=" not in response.content, "no inline style (CSP)"


@pytest.mark.django_db
def test_anonymous_is_sent_to_login():
    response = Client().get("/ui/downloads")
    assert response.status_code == 302
    assert response["Location"].startswith("/ui/login/")


@pytest.mark.django_db
def test_htmx_requests_get_partials(admin):
    make_job()
    cases = {
        "/ui/": 'id="dashboard"',
        "/ui/downloads": 'id="history"',
        "/ui/library": 'id="library-results"',
        "/ui/dlq": 'id="dlq"',
        "/ui/watchlists": 'id="watchlists"',
        "/ui/system": 'id="probes"',
    }
    for url, marker in cases.items():
        html = admin.get(url, **HX).content.decode()
        assert marker in html, url
        assert "<html" not in html, f"{url} answered HTMX with a full page"
        assert "<html" in admin.get(url).content.decode()


# --- dashboard -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_shows_counts_budget_dlq_disks_and_activity(viewer, library_dirs):
    make_job(JobState.DONE)
    make_job(JobState.DEAD, label="Gone", dead_reason="no_candidates")
    AuditEvent.objects.create(kind="ingested", actor="job:1")
    html = viewer.get("/ui/").content.decode()
    assert "Search budget" in html
    assert "no_candidates" in html
    assert str(library_dirs[1]) in html  # MUSIC_DIR disk card
    assert "Ingested" in html
    assert 'hx-trigger="every 5s, harmony:visible from:document"' in html


# --- operations ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_viewer_sees_no_forms_on_operations_and_cannot_submit(viewer):
    html = viewer.get("/ui/operations").content.decode()
    assert "can look but not add music" in html
    assert "operations/submit" not in html
    response = viewer.post("/ui/operations/submit", {"source": "text", "text": "A - B"})
    assert response.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_operator_submits_a_text_list_and_sees_already_enqueued(operator, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    data = {"source": "text", "text": "The Testers - Song Alpha\nnot a track line"}
    first = operator.post("/ui/operations/submit", data, **HX)
    assert first.status_code == 200
    html = first.content.decode()
    assert "1 enqueued" in html and "Skipped lines" in html
    second = operator.post("/ui/operations/submit", data, **HX).content.decode()
    assert "1 already enqueued" in second
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_bad_link_shows_an_error_not_a_500(operator):
    response = operator.post("/ui/operations/submit", {"source": "links", "links": "nonsense"})
    assert response.status_code == 200
    assert "invalid" in response.content.decode()


@pytest.mark.django_db
def test_an_empty_list_is_a_form_error(operator):
    response = operator.post(
        "/ui/operations/submit", {"source": "text", "text": "# only a comment"}
    )
    assert response.status_code == 200
    assert "no usable tracks" in response.content.decode()


@pytest.mark.django_db
def test_operator_starts_a_scan(operator, library_dirs, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    response = operator.post("/ui/operations/scan")
    assert response.status_code == 302
    from library.models import ScanRun

    assert ScanRun.objects.filter(actor="user:operator").exists()


# --- downloads and jobs --------------------------------------------------------------------------


@pytest.mark.django_db
def test_downloads_shows_transfers_with_progress_and_queue_in_priority_order(viewer):
    make_job(
        JobState.DOWNLOADING,
        label="Running",
        transfer_id="t1",
        transfer_username="peer9",
        transfer_state="InProgress",
        bytes_transferred=500,
        bytes_total=1000,
    )
    make_job(label="Low", priority=1)
    make_job(label="High", priority=90)
    html = viewer.get("/ui/downloads/live").content.decode()
    assert '<progress id="progress-' in html and 'value="500"' in html and "peer9" in html
    assert html.index("High") < html.index("Low")
    assert "Cancel" not in html, "a viewer sees no action buttons"


@pytest.mark.django_db
def test_history_filters_by_state_and_paginates(viewer):
    for n in range(55):
        make_job(JobState.DONE, label=f"Done {n}")
    make_job(JobState.DEAD, label="Dead one", dead_reason="no_candidates")
    html = viewer.get("/ui/downloads?state=dead").content.decode()
    assert "Dead one" in html and "Done 1" not in html
    page = viewer.get("/ui/downloads?state=done").content.decode()
    assert "Page 1 of 2" in page


@pytest.mark.django_db
def test_job_page_shows_timeline_candidates_and_rejections(operator):
    job = make_job(JobState.SEARCHING)
    make_candidate(job, rank=1)
    make_candidate(job, rank=None, state="rejected", rejection="duration_mismatch")
    html = operator.get(f"/ui/jobs/{job.pk}").content.decode()
    assert 'id="candidates"' in html
    assert "duration_mismatch" not in html, "reason codes are shown as sentences"
    assert "Its length differs too much from the wanted track" in html
    assert "Submitted." in html  # the timeline
    assert html.count("Choose this instead") == 2, "ranked and rejected candidates alike"
    assert 'hx-trigger="every 2s' in html
    assert 'id="rejected-panel"' in html and f'id="why-{job.candidates.get(rank=1).pk}"' in html
    assert "Waiting for a search slot" in html  # searching with no search of its own


@pytest.mark.django_db
def test_final_job_stops_polling(viewer):
    job = make_job(JobState.DONE)
    response = viewer.get(f"/ui/jobs/{job.pk}", **HX)
    assert response.status_code == 286
    html = response.content.decode()
    # A bare hx-get on the panel would fire on every click inside it (opening a <details>).
    assert "hx-trigger" not in html and "hx-get" not in html


@pytest.mark.django_db
def test_missing_job_is_404(viewer):
    assert viewer.get("/ui/jobs/999").status_code == 404


@pytest.mark.django_db
def test_operator_cancels_and_sets_priority(operator):
    job = make_job()
    assert operator.post(f"/ui/jobs/{job.pk}/priority", {"priority": "77"}).status_code == 302
    job.refresh_from_db()
    assert job.priority == 77
    operator.post(f"/ui/jobs/{job.pk}/cancel")
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED


@pytest.mark.django_db
def test_operator_chooses_a_candidate(operator):
    job = make_job(JobState.DOWNLOADING)
    make_candidate(job, rank=1)
    second = make_candidate(job, rank=2)
    response = operator.post(f"/ui/jobs/{job.pk}/candidates/{second.pk}/choose")
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.rank == 0


@pytest.mark.django_db
def test_wrong_file_on_a_job_without_a_file_is_a_message_not_a_500(operator):
    job = make_job(JobState.QUEUED)
    response = operator.post(f"/ui/jobs/{job.pk}/wrong-file", follow=True)
    assert response.status_code == 200
    assert "no delivered file" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["cancel", "retry", "priority", "wrong-file"])
def test_viewer_forged_job_actions_are_refused(viewer, action):
    job = make_job()
    assert viewer.post(f"/ui/jobs/{job.pk}/{action}", {"priority": "5"}).status_code == 403
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.priority == 0


@pytest.mark.django_db
def test_viewer_cannot_choose_a_candidate(viewer):
    job = make_job()
    candidate = make_candidate(job, rank=2)
    assert viewer.post(f"/ui/jobs/{job.pk}/candidates/{candidate.pk}/choose").status_code == 403
    assert Candidate.objects.get(pk=candidate.pk).rank == 2


# --- dead letters --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dlq_groups_by_reason_and_operator_requeues(operator, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    dead = make_job(JobState.DEAD, dead_reason="no_candidates")
    html = operator.get("/ui/dlq").content.decode()
    assert "Requeue all 1" in html and "Purge" not in html
    response = operator.post("/ui/dlq/requeue", {"ids": [dead.pk]})
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.state == JobState.QUEUED
    assert DeadLetterAction.objects.get().via == "ui"


@pytest.mark.django_db
def test_only_admin_purges(operator, admin):
    dead = make_job(JobState.DEAD, dead_reason="no_candidates")
    assert operator.post("/ui/dlq/purge", {"reason": "no_candidates"}).status_code == 403
    assert Job.objects.filter(pk=dead.pk).exists()
    assert "Purge all 1" in admin.get("/ui/dlq").content.decode()
    admin.post("/ui/dlq/purge", {"reason": "no_candidates"})
    assert not Job.objects.filter(pk=dead.pk).exists()


@pytest.mark.django_db
def test_viewer_cannot_requeue(viewer):
    dead = make_job(JobState.DEAD, dead_reason="no_candidates")
    assert "Requeue" not in viewer.get("/ui/dlq").content.decode()
    assert viewer.post("/ui/dlq/requeue", {"ids": [dead.pk]}).status_code == 403


@pytest.mark.django_db
def test_requeue_without_a_selection_says_so(operator):
    response = operator.post("/ui/dlq/requeue", {}, follow=True)
    assert "Pick some dead jobs" in response.content.decode()


# --- watchlists ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_watchlists_list_and_role_guard(viewer, operator, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    watch = Watchlist.objects.create(kind="artist", spotify_id="abc", name="The Watched")
    assert "The Watched" in viewer.get("/ui/watchlists").content.decode()
    assert "Sync now" not in viewer.get("/ui/watchlists").content.decode()
    assert viewer.post(f"/ui/watchlists/{watch.pk}", {}).status_code == 403
    assert viewer.post("/ui/watchlists", {"link": "x"}).status_code == 403
    operator.post(f"/ui/watchlists/{watch.pk}", {"release_types": ["album"]})
    watch.refresh_from_db()
    assert watch.enabled is False and watch.release_types == ["album"]


@pytest.mark.django_db
def test_watching_a_track_link_is_a_field_error(operator):
    link = "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
    response = operator.post("/ui/watchlists", {"link": link})
    assert response.status_code == 200
    assert "Only artists and playlists can be watched" in response.content.decode()


# --- library -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_library_browse_and_search(viewer):
    file = LibraryFileFactory(bitrate_kbps=320, format="mp3", track__title="Needle")
    track = file.track
    html = viewer.get("/ui/library").content.decode()
    assert track.artist.name in html
    assert "Needle" in viewer.get(f"/ui/library/albums/{track.album_id}").content.decode()
    assert (
        track.album.title in viewer.get(f"/ui/library/artists/{track.artist_id}").content.decode()
    )
    found = viewer.get("/ui/library?q=needle", **HX).content.decode()
    assert "Needle" in found and "MP3" in found and "320 kbps" in found


@pytest.mark.django_db
def test_album_lists_missing_track_numbers(viewer):
    file = LibraryFileFactory(track__track_number=2)
    album = file.track.album
    album.track_total = 3
    album.save()
    html = viewer.get(f"/ui/library/albums/{album.pk}").content.decode()
    assert "Missing tracks: 1, 3" in html


@pytest.mark.django_db
def test_track_page_shows_files_and_audit_history(viewer):
    file = LibraryFileFactory(path="A/B/01 Song.flac")
    AuditEvent.objects.create(kind="ingested", actor="job:7", track=file.track, file=file)
    html = viewer.get(f"/ui/library/tracks/{file.track_id}").content.decode()
    assert "A/B/01 Song.flac" in html and "job:7" in html


# --- settings ------------------------------------------------------------------------------------


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    """A private harmony.yml for tests that save settings."""
    from harmony_site import configuration
    from harmony_site.secrets import fernet_for

    path = tmp_path / "harmony.yml"
    path.write_text("SLSKD_URL: ''\n", encoding="utf-8")
    fernet_for(tmp_path)  # the key exists from start-up on; secrets are encrypted with it
    monkeypatch.setattr(configuration, "settings_file", lambda: path)
    return path


@pytest.mark.django_db
def test_settings_are_admin_only(viewer, operator, admin):
    assert viewer.get("/ui/settings").status_code == 403
    assert operator.get("/ui/settings").status_code == 403
    assert operator.post("/ui/settings", {"section": "naming"}).status_code == 403
    html = admin.get("/ui/settings").content.decode()
    assert "SLSKD_API_KEY" in html and "NAMING_TEMPLATE" in html and "API keys" in html


@pytest.mark.django_db
def test_settings_show_field_errors_inline(admin, config_file):
    response = admin.post("/ui/settings", {"section": "search", "search-HDM_SEARCH_BUDGET": "0"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    bad = admin.post("/ui/settings", {"section": "naming", "naming-NAMING_TEMPLATE": "{nope}"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


@pytest.mark.django_db
def test_settings_save_and_mask_secrets(admin, config_file, monkeypatch):
    monkeypatch.delenv("SLSKD_API_KEY", raising=False)
    monkeypatch.delenv("SLSKD_URL", raising=False)
    data = {
        "section": "slskd",
        "slskd-SLSKD_URL": "http://slskd:5030",
        "slskd-SLSKD_API_KEY": "sekrit-key-123",
        "slskd-SLSKD_DOWNLOADS_DIR": "/app/downloads",
        "slskd-SLSKD_TIMEOUT": "15",
    }
    response = admin.post("/ui/settings", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = config_file.read_text()
    assert "SLSKD_URL: http://slskd:5030" in stored
    assert "sekrit-key-123" not in stored and "SLSKD_API_KEY: enc:" in stored
    html = admin.get("/ui/settings").content.decode()
    assert "sekrit-key-123" not in html


@pytest.mark.django_db
def test_naming_preview_renders_live(admin):
    ok = admin.get(
        "/ui/settings/naming-preview", {"naming-NAMING_TEMPLATE": "{artist}/{title}.{ext}"}
    )
    assert ok.status_code == 200 and ".flac" in ok.content.decode()
    bad = admin.get("/ui/settings/naming-preview", {"naming-NAMING_TEMPLATE": "{nope}"})
    assert "field-error" in bad.content.decode()


@pytest.mark.django_db
def test_slskd_test_connection_reports_failure_clearly(admin):
    response = admin.post("/ui/settings/slskd/test", {"SLSKD_URL": "ftp://nowhere"}, **HX)
    assert response.status_code == 200
    assert "Enter the slskd URL" in response.content.decode()


@pytest.mark.django_db
def test_slskd_test_connection_against_the_fake(admin, fake_slskd):
    data = {"SLSKD_URL": fake_slskd.url, "SLSKD_API_KEY": fake_slskd.api_key}
    html = admin.post("/ui/settings/slskd/test", data, **HX).content.decode()
    assert "Connected" in html


@pytest.mark.django_db
def test_api_key_is_shown_once_and_revoked(admin):
    from accounts.models import APIKey

    html = admin.post("/ui/settings/keys", {"name": "ci", "role": "operator"}).content.decode()
    key = APIKey.objects.get(name="ci")
    assert 'id="new-api-key"' in html and key.prefix in html
    assert 'id="new-api-key"' not in admin.get("/ui/settings").content.decode()
    admin.post(f"/ui/settings/keys/{key.pk}/revoke")
    key.refresh_from_db()
    assert key.revoked


@pytest.mark.django_db
def test_admin_manages_users(admin):
    from django.contrib.auth import get_user_model

    bad = admin.post("/ui/settings/users", {"username": "bob", "password": "123", "role": "viewer"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    admin.post(
        "/ui/settings/users",
        {"username": "bob", "password": "a-long-pass-phrase-9", "role": "viewer"},
    )
    bob = get_user_model().objects.get(username="bob")
    admin.post(f"/ui/settings/users/{bob.pk}", {"role": "operator"})
    assert bob.groups.filter(name="operator").exists()
    admin.post(f"/ui/settings/users/{bob.pk}", {"action": "disable"})
    bob.refresh_from_db()
    assert not bob.is_active


@pytest.mark.django_db
def test_spotify_manual_login_with_a_bad_url_is_a_field_error(admin):
    response = admin.post("/ui/spotify/manual", {"redirect_url": "http://127.0.0.1:8888/callback"})
    assert response.status_code == 200
    assert "state" in response.content.decode()


# --- system --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_system_shows_probes_versions_and_masked_config_sources(viewer):
    html = viewer.get("/ui/system").content.decode()
    assert "Readiness probes" in html and "database" in html and " ms" in html
    assert "Django" in html
    assert "SECRET_KEY" in html and "********" in html


@pytest.mark.django_db
def test_back_button_history_restore_gets_the_full_page(viewer):
    response = viewer.get("/ui/downloads?state=done", **HX, HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_duration_filter_formats_lengths():
    from harmony_site.templatetags.harmony import duration, khz

    assert duration(215_000) == "3:35"
    assert duration(3_725_000) == "1:02:05"
    assert duration(None) == ""
    assert khz(44100) == "44.1 kHz" and khz(48000) == "48 kHz" and khz(None) == ""


@pytest.mark.django_db
def test_operator_finds_an_artist_and_watches_it(operator, spotify_env):
    html = operator.get("/ui/watchlists", {"q": "Björk"}).content.decode()
    assert "Watch Björk" in html
    artist_id = spotify_env.ids["bjork"]
    response = operator.post(
        "/ui/watchlists", {"link": f"spotify:artist:{artist_id}", "release_types": ["album"]}
    )
    assert response.status_code == 302
    watch = Watchlist.objects.get(spotify_id=artist_id)
    assert watch.name == "Björk" and watch.release_types == ["album"]
    assert "Björk" in operator.get("/ui/watchlists").content.decode()


@pytest.mark.django_db
def test_operator_searches_spotify_and_picks_a_track(operator, spotify_env, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    html = operator.get("/ui/operations", {"q": "Homogenic"}, **HX).content.decode()
    assert 'id="search-results"' in html and "<html" not in html
    pick = re.search(r'value="(spotify:track:[^"]+)"', html).group(1)
    result = operator.post("/ui/operations/submit", {"source": "pick", "pick": [pick]}, **HX)
    assert "enqueued" in result.content.decode()
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_parent_job_lists_its_tracks(viewer):
    parent = make_job(JobState.DOWNLOADING, label="The Testers — Test Album", scope="album")
    make_job(JobState.DONE, label="The Testers — Song Alpha", parent=parent)
    make_job(JobState.QUEUED, label="The Testers — Song Bravo", parent=parent)
    html = viewer.get(f"/ui/jobs/{parent.pk}").content.decode()
    assert 'id="child-jobs"' in html and "Song Alpha" in html and "Song Bravo" in html


class _Controls(HTMLParser):
    """Form controls of a page and the ids its <label for=...> elements name."""

    def __init__(self) -> None:
        super().__init__()
        self.labelled: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.label_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "label":
            self.label_depth += 1
            self.labelled.add(values.get("for", ""))
        elif tag in ("input", "select", "textarea") and values.get("type") != "hidden":
            self.controls.append({**values, "_wrapped": "1" if self.label_depth else ""})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/ui/operations",
        "/ui/downloads",
        "/ui/watchlists",
        "/ui/library",
        "/ui/dlq",
        "/ui/settings",
        "/ui/jobs/{job}",
    ],
)
def test_every_form_control_has_a_label(admin, url):
    job = make_job(JobState.DOWNLOADING)
    make_candidate(job)
    make_job(JobState.DEAD, label="Dead", dead_reason="no_candidates")
    Watchlist.objects.create(kind="artist", spotify_id="abc", name="Watched")
    parser = _Controls()
    parser.feed(admin.get(url.format(job=job.pk)).content.decode())
    assert parser.controls, f"{url}: no form controls found (parser broken?)"
    unlabelled = [
        control
        for control in parser.controls
        if not control["_wrapped"]
        and control.get("id", "-") not in parser.labelled
        and not control.get("aria-label")
    ]
    assert not unlabelled, f"{url}: controls without a label: {unlabelled}"


@pytest.mark.django_db
def test_wanted_lists_missing_tracks_with_why_and_retries_the_picked_ones(operator):
    make_job(JobState.DONE, label="Got It", wanted_key="w:got")
    make_job(JobState.DEAD, label="Got It", wanted_key="w:got", dead_reason="no_candidates")
    lost = make_job(JobState.DEAD, label="Lost One", dead_reason="no_candidates")
    make_job(JobState.SEARCHING, label="Looking")
    make_job(JobState.CANCELLED, label="Not Wanted")

    html = operator.get("/ui/wanted").content.decode()
    assert "Lost One" in html and "Not found on Soulseek." in html
    assert "Waiting for a search slot." in html
    assert "dead-letter" not in html, "the UI says Failed"
    assert "Got It" not in html and "Not Wanted" not in html
    assert html.index("Lost One") < html.index("Looking"), "stuck tracks first"

    response = operator.post("/ui/wanted/retry", {"ids": [str(lost.pk)]})
    assert response.status_code == 302
    lost.refresh_from_db()
    assert lost.state == JobState.QUEUED


@pytest.mark.django_db
def test_a_viewer_cannot_retry_wanted_tracks(viewer):
    job = make_job(JobState.DEAD, label="Lost", dead_reason="no_candidates")
    assert viewer.post("/ui/wanted/retry", {"ids": [str(job.pk)]}).status_code == 403
    assert 'name="ids"' not in viewer.get("/ui/wanted").content.decode()


@pytest.mark.django_db
def test_blocklist_and_quarantine_pages_render(operator, settings, tmp_path):
    from downloads.models import CandidateBlock

    settings.DOWNLOADS_DIR = tmp_path
    CandidateBlock.objects.create(
        key="k", username="peer", filename="a.flac", size=1, reason="wrong_file"
    )
    assert "Marked as the wrong file" in operator.get("/ui/blocklist").content.decode()
    assert "The quarantine is empty" in operator.get("/ui/library/quarantine").content.decode()


@pytest.mark.django_db
def test_slskd_test_connection_tests_what_is_typed_not_what_is_saved(admin, fake_slskd):
    # The page's own field names (prefixed by the group): a dead URL typed is a dead URL.
    typed = {"slskd-SLSKD_URL": "http://127.0.0.1:9", "slskd-SLSKD_API_KEY": "wrong"}
    html = admin.post("/ui/settings/slskd/test", typed, **HX).content.decode()
    assert "Connected" not in html and "did not answer" in html
    typed = {"slskd-SLSKD_URL": fake_slskd.url, "slskd-SLSKD_API_KEY": "wrong"}
    html = admin.post("/ui/settings/slskd/test", typed, **HX).content.decode()
    assert "refused the API key" in html


@pytest.mark.django_db
def test_apply_now_asks_the_supervisor_and_is_audited(admin, settings, tmp_path):
    from harmony_site.configuration import RELOAD_FLAG
    from library.models import AuditEvent

    settings.CONFIG_DIR = tmp_path
    response = admin.post("/ui/settings/apply")
    assert response.status_code == 302
    assert (tmp_path / RELOAD_FLAG).read_text() == "user:admin"
    assert AuditEvent.objects.get(kind="settings_changed").details["action"] == "reload_requested"


@pytest.mark.django_db
def test_admin_enables_a_disabled_user_and_resets_a_password(admin):
    from django.contrib.auth import get_user_model

    from accounts import services
    from library.models import AuditEvent

    bob = services.create_user(username="bob", password=PASSWORD, role="viewer", actor="test")
    admin.post(f"/ui/settings/users/{bob.pk}", {"action": "disable"})
    bob.refresh_from_db()
    assert not bob.is_active
    admin.post(f"/ui/settings/users/{bob.pk}", {"action": "enable"})
    bob.refresh_from_db()
    assert bob.is_active
    weak = admin.post(f"/ui/settings/users/{bob.pk}", {"action": "reset_password", "password": "1"})
    assert weak.status_code == 302
    assert get_user_model().objects.get(pk=bob.pk).check_password(PASSWORD), "a weak one is refused"
    admin.post(
        f"/ui/settings/users/{bob.pk}", {"action": "reset_password", "password": "n3w-Passw0rd-ok"}
    )
    assert get_user_model().objects.get(pk=bob.pk).check_password("n3w-Passw0rd-ok")
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {"user_disabled", "user_enabled", "password_changed"} <= kinds


@pytest.mark.django_db
def test_a_user_changes_their_own_password_and_stays_signed_in(viewer):
    bad = viewer.post(
        "/ui/account/password",
        {"old_password": "wrong", "new_password1": "x-N3w-pass", "new_password2": "x-N3w-pass"},
    )
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    ok = viewer.post(
        "/ui/account/password",
        {"old_password": PASSWORD, "new_password1": "x-N3w-pass", "new_password2": "x-N3w-pass"},
    )
    assert ok.status_code == 302
    assert viewer.get("/ui/downloads").status_code == 200, "this session stays signed in"


@pytest.mark.django_db
def test_candidate_quality_is_words_and_never_none(viewer):
    job = make_job(JobState.DONE)
    make_candidate(job, attributes={"extension": "mp3", "bit_rate": 320, "bit_depth": None})
    html = viewer.get(f"/ui/jobs/{job.pk}").content.decode()
    assert "MP3, 320 kbps" in html and "None" not in html
