"""The bibliography: BibTeX parsed and located, the AMA style, citations and their numbers."""
