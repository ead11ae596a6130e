"""The site's one address scheme: where every generated page, PDF, export and feed lives.

Pages, exports, the feed, the PDFs and the MkDocs adapter all take their paths from
here, so a link made in one place always lands where another place wrote the file.
Paths are relative to the site root; ``pages_dir`` is the ``pages_dir`` option.
"""

from __future__ import annotations

from policypress.project import PolicySource

INDEX_PAGE = "index.md"
CODES_PAGE = "codes.md"
PDF_DIR = "pdf"
"""The folder of the site that holds ``<policy-file-stem>.pdf``."""
API_DIR = "api"
FEED_FILE = "feed.xml"


def page_source(source: PolicySource, pages_dir: str) -> str:
    """The generated Markdown page of a policy, as MkDocs names it: ``policies/wa-cp-mp-166.md``."""
    return f"{pages_dir}/{source.stem}.md"


def page_path(source: PolicySource, pages_dir: str) -> str:
    """The policy page's address relative to the site root (directory URLs)."""
    return f"{pages_dir}/{source.stem}/"


def pdf_path(stem: str) -> str:
    """The archival PDF of a policy, relative to the site root: ``pdf/wa-cp-mp-166.pdf``."""
    return f"{PDF_DIR}/{stem}.pdf"


def pdf_url(page_src_uri: str, stem: str, use_directory_urls: bool) -> str:
    """The link from a policy page (``policies/x.md``) to its PDF: ``../../pdf/x.pdf`` with directory URLs."""
    depth = page_src_uri.count("/") + (1 if use_directory_urls else 0)
    return "../" * depth + pdf_path(stem)


def policy_data_path(stem: str) -> str:
    """The JSON export of one policy."""
    return f"{API_DIR}/policies/{stem}.json"


def api_path(name: str) -> str:
    """A file of the machine-readable exports: ``api/codes.csv``."""
    return f"{API_DIR}/{name}"
