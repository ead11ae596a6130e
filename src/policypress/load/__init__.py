"""Files to a Project: read, validate and cross-check every source, every diagnostic at once."""
