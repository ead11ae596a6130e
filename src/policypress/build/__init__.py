"""The commands' work with files: the workspace (where the speed layer is wired in), check, PDFs,
publishing, git revisions and the review."""
