"""Print HTML to archival PDF/A-3a and PDF/UA-1: the only door to the Typst compiler."""
