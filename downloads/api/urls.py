"""Downloads REST API URL patterns (mounted under /api/v1/): jobs, the DLQ, watchlists."""

from django.urls import path

from downloads.api import views

urlpatterns = [
    path("downloads", views.DownloadsView.as_view(), name="downloads"),
    path("downloads/list", views.DownloadListView.as_view(), name="downloads-list-submit"),
    path("downloads/<int:job_id>", views.DownloadDetailView.as_view(), name="download-detail"),
    path("downloads/<int:job_id>/cancel", views.CancelView.as_view(), name="download-cancel"),
    path("downloads/<int:job_id>/retry", views.RetryView.as_view(), name="download-retry"),
    path("downloads/<int:job_id>/priority", views.PriorityView.as_view(), name="download-priority"),
    path(
        "downloads/<int:job_id>/candidates/<int:candidate_id>/choose",
        views.ChooseCandidateView.as_view(),
        name="download-choose",
    ),
    path(
        "library/tracks/<int:track_id>/wrong-file",
        views.WrongFileView.as_view(),
        name="track-wrong-file",
    ),
    path("dlq", views.DlqListView.as_view(), name="dlq"),
    path("dlq/stats", views.DlqStatsView.as_view(), name="dlq-stats"),
    path("dlq/requeue", views.DlqRequeueView.as_view(), name="dlq-requeue"),
    path("dlq/purge", views.DlqPurgeView.as_view(), name="dlq-purge"),
    path("dlq/<int:job_id>", views.DlqDetailView.as_view(), name="dlq-detail"),
    path("watchlists", views.WatchlistsView.as_view(), name="watchlists"),
    path("watchlists/<int:watchlist_id>", views.WatchlistDetailView.as_view(), name="watchlist"),
    path(
        "watchlists/<int:watchlist_id>/sync",
        views.WatchlistSyncView.as_view(),
        name="watchlist-sync",
    ),
]
