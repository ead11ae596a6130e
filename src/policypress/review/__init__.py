r"""Two Project\s to a review: diff, redline, governance, report. Pure: no files, no git."""
