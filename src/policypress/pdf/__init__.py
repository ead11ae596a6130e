"""Print HTML to archival PDF/A: the only door to WeasyPrint and pydyf."""
