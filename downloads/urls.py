"""Downloads URL patterns (UI, mounted under /ui/): dashboard, add music, downloads, jobs,
watchlists and the dead-letter queue. The dashboard and add music pages are the shell's
(`harmony_site.views.shell`); their names stay in this namespace."""

from django.urls import path

from downloads.views import blocklist, downloads, failed, jobs, wanted, watchlists
from harmony_site.views import shell

app_name = "downloads"

urlpatterns = [
    path("", shell.dashboard, name="dashboard"),
    path("operations", shell.operations, name="operations"),
    path("operations/submit", shell.operations_submit, name="operations-submit"),
    path("operations/scan", shell.operations_scan, name="operations-scan"),
    path("operations/sync", shell.operations_sync, name="operations-sync"),
    path("downloads", downloads.downloads, name="downloads"),
    path("downloads/live", downloads.downloads_live, name="downloads-live"),
    path("jobs/<int:job_id>", jobs.job_page, name="job"),
    path("jobs/<int:job_id>/cancel", jobs.job_cancel, name="job-cancel"),
    path("jobs/<int:job_id>/retry", jobs.job_retry, name="job-retry"),
    path("jobs/<int:job_id>/priority", jobs.job_priority, name="job-priority"),
    path("jobs/<int:job_id>/wrong-file", jobs.job_wrong_file, name="job-wrong-file"),
    path(
        "jobs/<int:job_id>/candidates/<int:candidate_id>/choose",
        jobs.job_choose,
        name="job-choose",
    ),
    path("wanted", wanted.wanted_page, name="wanted"),
    path("wanted/retry", wanted.wanted_retry, name="wanted-retry"),
    path("blocklist", blocklist.blocklist_page, name="blocklist"),
    path("blocklist/<int:block_id>/remove", blocklist.blocklist_remove, name="blocklist-remove"),
    path("watchlists", watchlists.watchlists_page, name="watchlists"),
    path("watchlists/<int:watchlist_id>", watchlists.watchlist_update, name="watchlist-update"),
    path("watchlists/<int:watchlist_id>/sync", watchlists.watchlist_sync, name="watchlist-sync"),
    path(
        "watchlists/<int:watchlist_id>/syncs",
        watchlists.watchlist_syncs,
        name="watchlist-syncs",
    ),
    path(
        "watchlists/<int:watchlist_id>/delete", watchlists.watchlist_delete, name="watchlist-delete"
    ),
    path("dlq", failed.dlq_page, name="dlq"),
    path("dlq/requeue", failed.dlq_requeue, name="dlq-requeue"),
    path("dlq/purge", failed.dlq_purge, name="dlq-purge"),
]
