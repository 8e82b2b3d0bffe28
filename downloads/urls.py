"""Downloads URL patterns (UI, mounted under /ui/): dashboard, add music, downloads, jobs,
watchlists and the dead-letter queue."""

from django.urls import path

from downloads import views, watchlist_views

app_name = "downloads"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("operations", views.operations, name="operations"),
    path("operations/submit", views.operations_submit, name="operations-submit"),
    path("operations/scan", views.operations_scan, name="operations-scan"),
    path("operations/sync", views.operations_sync, name="operations-sync"),
    path("downloads", views.downloads, name="downloads"),
    path("downloads/live", views.downloads_live, name="downloads-live"),
    path("jobs/<int:job_id>", views.job_page, name="job"),
    path("jobs/<int:job_id>/cancel", views.job_cancel, name="job-cancel"),
    path("jobs/<int:job_id>/retry", views.job_retry, name="job-retry"),
    path("jobs/<int:job_id>/priority", views.job_priority, name="job-priority"),
    path("jobs/<int:job_id>/wrong-file", views.job_wrong_file, name="job-wrong-file"),
    path(
        "jobs/<int:job_id>/candidates/<int:candidate_id>/choose",
        views.job_choose,
        name="job-choose",
    ),
    path("watchlists", views.watchlists_page, name="watchlists"),
    path("watchlists/<int:watchlist_id>", views.watchlist_update, name="watchlist-update"),
    path("watchlists/<int:watchlist_id>/sync", views.watchlist_sync, name="watchlist-sync"),
    path(
        "watchlists/<int:watchlist_id>/syncs",
        watchlist_views.watchlist_syncs,
        name="watchlist-syncs",
    ),
    path("watchlists/<int:watchlist_id>/delete", views.watchlist_delete, name="watchlist-delete"),
    path("dlq", views.dlq_page, name="dlq"),
    path("dlq/requeue", views.dlq_requeue, name="dlq-requeue"),
    path("dlq/purge", views.dlq_purge, name="dlq-purge"),
]
