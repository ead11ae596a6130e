"""The site's one address scheme: where every generated page, PDF, export and feed lives.

Pages, exports, the feed, the PDFs, the templates (through ``SiteLinks``) and the MkDocs
adapter all take their paths from here, so a link made in one place always lands where
another place wrote the file. Paths are relative to the site root; ``pages_dir`` is the
``pages_dir`` option.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from policypress.project import PolicySource

INDEX_PAGE = "index.md"
CODES_PAGE = "codes.md"
PDF_DIR = "pdf"
"""The folder of the site that holds ``<policy-file-stem>.pdf``."""
API_DIR = "api"
FEED_FILE = "feed.xml"
POLICIES_FILE = f"{API_DIR}/policies.json"
CODES_JSON_FILE = f"{API_DIR}/codes.json"
CODES_CSV_FILE = f"{API_DIR}/codes.csv"
REFERENCES_FILE = f"{API_DIR}/references.json"
SCHEMA_DIR = f"{API_DIR}/schema"
VERSION_CODES_FILE = f"{API_DIR}/version-codes.json"
"""Every version's window and code rows, for the code index's date-of-service field."""


def page_source(source: PolicySource, pages_dir: str) -> str:
    """The generated Markdown page of a policy, as MkDocs names it: ``policies/wa-cp-mp-166.md``."""
    return f"{pages_dir}/{source.stem}.md"


def page_source_of(stem: str, pages_dir: str) -> str:
    """``page_source`` by the policy file's stem."""
    return f"{pages_dir}/{stem}.md"


def page_path(source: PolicySource, pages_dir: str) -> str:
    """The policy page's address relative to the site root (directory URLs)."""
    return f"{pages_dir}/{source.stem}/"


def version_page_source(stem: str, number: int, pages_dir: str) -> str:
    """The page of version ``number`` of a policy: ``policies/wa-cp-mp-166/v2.md`` (``…/wa-cp-mp-166/v2/``)."""
    return f"{pages_dir}/{stem}/v{number}.md"


def versions_data_path(stem: str) -> str:
    """The versions of one policy, for machines: ``api/policies/wa-cp-mp-166/versions.json``."""
    return f"{API_DIR}/policies/{stem}/versions.json"


def relative_url(from_src_uri: str, to_src_uri: str, use_directory_urls: bool) -> str:
    """The link from the page built from one Markdown source to the page built from another."""
    target = to_src_uri.removesuffix(".md")
    target = f"{target}/" if use_directory_urls else f"{target}.html"
    return to_root(from_src_uri, use_directory_urls) + target


def codes_page_path() -> str:
    """The code index page's address relative to the site root (directory URLs)."""
    return f"{PurePosixPath(CODES_PAGE).stem}/"


def pdf_path(stem: str) -> str:
    """The archival PDF of a policy, relative to the site root: ``pdf/wa-cp-mp-166.pdf``."""
    return f"{PDF_DIR}/{stem}.pdf"


def version_pdf_path(stem: str, number: int) -> str:
    """The PDF of version ``number`` of a policy, for ever: ``pdf/wa-cp-mp-166/v2.pdf`` (beside ``pdf/<stem>.pdf``,
    which is always the current version; a folder per policy, so no policy's file name can take it)."""
    return f"{PDF_DIR}/{stem}/v{number}.pdf"


def to_root(page_src_uri: str, use_directory_urls: bool) -> str:
    """The relative path from the page built from ``page_src_uri`` back to the site root: ``../../``
    from ``policies/x.md`` with directory URLs, ``""`` from ``index.md``."""
    depth = page_src_uri.count("/")
    if use_directory_urls and PurePosixPath(page_src_uri).name != INDEX_PAGE:
        depth += 1  # served as x/index.html
    return "../" * depth


def pdf_url(page_src_uri: str, stem: str, use_directory_urls: bool) -> str:
    """The link from a policy page (``policies/x.md``) to its PDF: ``../../pdf/x.pdf`` with directory URLs."""
    return to_root(page_src_uri, use_directory_urls) + pdf_path(stem)


def policy_data_path(stem: str) -> str:
    """The JSON export of one policy."""
    return f"{API_DIR}/policies/{stem}.json"


def api_path(name: str) -> str:
    """A file of the machine-readable exports: ``api/codes.csv``."""
    return f"{API_DIR}/{name}"


@dataclass(frozen=True)
class SiteLinks:
    """The site's addresses as one generated page links to them (relative to where it is served),
    for its template: ``{{ links.codes_csv }}``, ``{{ links.page(source) }}``, ``{{ links.site(path) }}``."""

    root: str
    """From the page back to the site root: ``""`` on the home page, ``../`` on the code index."""
    pages_dir: str

    @classmethod
    def from_page(cls, page_src_uri: str, pages_dir: str) -> SiteLinks:
        """The links of the page built from ``page_src_uri``; like ``page_path``, they take directory URLs."""
        return cls(to_root(page_src_uri, use_directory_urls=True), pages_dir)

    def site(self, path: str) -> str:
        """A path relative to the site root (as the exports give them), as a link from this page."""
        return self.root + path

    def page(self, source: PolicySource) -> str:
        return self.site(page_path(source, self.pages_dir))

    @property
    def codes_index(self) -> str:
        return self.site(codes_page_path())

    @property
    def feed(self) -> str:
        return self.site(FEED_FILE)

    @property
    def policies(self) -> str:
        return self.site(POLICIES_FILE)

    @property
    def codes_json(self) -> str:
        return self.site(CODES_JSON_FILE)

    @property
    def codes_csv(self) -> str:
        return self.site(CODES_CSV_FILE)

    @property
    def references(self) -> str:
        return self.site(REFERENCES_FILE)
