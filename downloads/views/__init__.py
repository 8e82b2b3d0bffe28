"""UI panels of the download manager under /ui/ (docs/ui/README.md).

Thin function views: a role check (every `/ui/` page already needs the viewer role), one
service or selector call, `render_panel` (an HTMX request gets the partial). Actions are POSTs
that redirect back (plain forms) or answer with the refreshed partial (HTMX).
"""
