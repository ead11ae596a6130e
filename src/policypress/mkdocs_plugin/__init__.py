"""The MkDocs adapter: generated policy pages fed to MkDocs (and Python-Markdown kept off their HTML)."""
