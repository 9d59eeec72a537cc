"""Google Workspace backend: Forms API and linked-sheet sources, the roster from a
spreadsheet, and the shared client (rate limits, retries, Vietnamese errors) in ``apis``."""
