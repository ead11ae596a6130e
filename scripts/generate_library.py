"""Write a synthetic policypress project of N seed-shaped policies, for the scale benchmark.

Usage: ``python scripts/generate_library.py N OUT_DIR [--seed S] [--bib-size 5000]``

The output is a complete project (mkdocs.yml, templates/, docs/, overrides/,
policy/boilerplate/ copied from this repository; policy/*.yaml and references.bib
generated) that passes ``policypress -f OUT_DIR/mkdocs.yml check``. The same
arguments always give byte-identical files: all randomness comes from one seeded
``random.Random`` and nothing depends on the clock, the platform or hash order.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from policypress.model.numbering import letters

ROOT = Path(__file__).resolve().parents[1]
COPIED_DIRS = ("templates", "docs", "overrides")
COPIED_FILES = ("mkdocs.yml", "policy.schema.json")
WRAP = 100

SURNAMES = [
    "Visser",
    "Chou",
    "Manchikanti",
    "Juch",
    "Maas",
    "Staal",
    "Qaseem",
    "Chen",
    "Janapala",
    "Laslett",
    "Simopoulos",
    "Heggeness",
    "Kishner",
    "Nakamura",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Rossi",
    "Kowalski",
    "Novak",
    "Haddad",
    "Patel",
    "Garcia",
    "Schmidt",
    "Müller",
    "Dubois",
    "Andersen",
    "Fischer",
    "Yamamoto",
    "Kim",
    "Nguyen",
    "Silva",
    "Costa",
    "Ivanova",
    "Brennan",
    "Ortega",
    "Walsh",
    "Horvath",
    "Eriksson",
    "Tanaka",
    "Mbeki",
    "Osei",
    "Farouk",
    "Sato",
    "Becker",
    "Larsen",
    "Jansen",
    "Romero",
    "Weber",
    "Keller",
]
INITIALS = ["A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "T", "W"]
JOURNALS = (
    "Eur Spine J",
    "Clin J Pain",
    "JAMA",
    "Pain Physician",
    "Pain Med",
    "Ann Intern Med",
    "Spine (Phila Pa 1976)",
    "J Pain Res",
    "Cochrane Database Syst Rev",
    "Medicine (Baltimore)",
    "Expert Rev Neurother",
    "BMJ",
    "Lancet",
    "N Engl J Med",
    "Arch Phys Med Rehabil",
    "J Bone Joint Surg Am",
)
ORGANIZATIONS = (
    ("Hayes", "http://www.hayesinc.com", "www.hayesinc.com"),
    ("UpToDate", "http://www.uptodate.com", "www.uptodate.com"),
    ("Medscape", "https://emedicine.medscape.com/article/", None),
    ("Centers for Medicare and Medicaid Services Web site", "http://www.cms.hhs.gov/mcd/search.asp", None),
    ("North American Spine Society", "https://www.spine.org/Coverage", None),
)
GROUP_AUTHORS = (
    "Health Technology Assessment",
    "North American Spine Society",
    "American College of Physicians",
    "National Institute for Health and Care Excellence",
)
PUBLISHERS = (
    ("Rockville (MD)", "Agency for Healthcare Research and Quality (US)"),
    ("Treasure Island (FL)", "StatPearls Publishing"),
    ("Philadelphia, PA", "Elsevier"),
    ("New York, NY", "Springer"),
    ("Geneva", "World Health Organization"),
)
PROCEDURES = (
    "radiofrequency neurotomy",
    "epidural steroid injection",
    "facet joint injection",
    "spinal cord stimulation",
    "platelet-rich plasma injection",
    "genicular nerve ablation",
    "basivertebral nerve ablation",
    "vertebral augmentation",
    "peripheral nerve stimulation",
    "intradiscal therapy",
    "minimally invasive lumbar decompression",
    "sacroiliac joint fusion",
    "trigger point injection",
    "occipital nerve block",
    "prolotherapy",
    "cryoneurolysis",
)
CONDITIONS = (
    "chronic low back pain",
    "sacroiliac joint pain",
    "knee osteoarthritis",
    "cervical radiculopathy",
    "lumbar spinal stenosis",
    "vertebral compression fracture",
    "chronic migraine",
    "neuropathic pain",
    "myofascial pain",
    "degenerative disc disease",
)
STUDY_KINDS = (
    "randomized controlled trial",
    "systematic review",
    "meta-analysis",
    "retrospective cohort study",
    "prospective case series",
    "clinical practice guideline",
)
FINDINGS = (
    "found no statistically significant difference in pain relief compared with sham treatment",
    "reported moderate short-term improvements in pain and function with low strength of evidence",
    "concluded that high-quality studies with longer follow-up are still lacking",
    "showed improvement at three months that was not sustained at twelve months",
    "noted small sample sizes, heterogeneous outcome measures and a high risk of bias",
    "rated the evidence as fair for short-term relief and limited for long-term relief",
    "found that serious complications were rare but that the benefit over placebo was uncertain",
    "recommended the procedure only after failure of at least six weeks of conservative therapy",
)
OPENERS = (
    "A {kind} of {n} participants with {condition} {finding}.",
    "One {kind} evaluating {procedure} {finding}.",
    "A {kind} of {m} trials measuring the efficacy of {procedure} for {condition} {finding}.",
    "The authors of a {year} {kind} {finding}, and called for additional well-designed studies.",
    "Professional society guidelines on {procedure} {finding}.",
    "An Agency for Healthcare Research and Quality (AHRQ) report on {condition} {finding}.",
)
REASONS = (
    "effectiveness has not been established",
    "high-quality studies are lacking",
    "the evidence shows improved pain and function in appropriately selected patients",
    "additional well-designed studies are needed to evaluate effectiveness",
)
CODE_TABLE_HEADINGS = ("CPT codes that support coverage criteria", "CPT code that does not support coverage criteria")
PLANS = (
    "Coordinated Care Corporation",
    "Sunshine Health",
    "Peach State Health Plan",
    "Buckeye Health Plan",
    "Superior HealthPlan",
)
TITLE_WORDS = ("Interventions", "Procedures", "Therapies", "Treatments", "Techniques")


@dataclass(frozen=True)
class BibEntry:
    key: str
    text: str


def _initials(rng: random.Random) -> str:
    return " ".join(f"{rng.choice(INITIALS)}." for _ in range(rng.randint(1, 2)))


def _authors(rng: random.Random, surname: str) -> str:
    names = [f"{surname}, {_initials(rng)}"]
    names += [f"{rng.choice(SURNAMES)}, {_initials(rng)}" for _ in range(rng.randint(0, 5))]
    if len(names) >= 4 and rng.random() < 0.5:
        names = [*names[:3], "others"]
    return " and ".join(names)


def _title(rng: random.Random) -> str:
    procedure = rng.choice(PROCEDURES)
    condition = rng.choice(CONDITIONS)
    form = rng.randrange(4)
    if form == 0:
        return f"{procedure.capitalize()} for {condition}: a {rng.choice(STUDY_KINDS)}"
    if form == 1:
        return f"Efficacy and safety of {procedure} in patients with {condition}"
    if form == 2:
        return f"{condition.capitalize()}: evidence for {procedure} at {rng.randint(2, 24)} months"
    return f"Comparative effectiveness of {procedure} and conservative care for {condition}"


def _fields(kind: str, key: str, fields: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in fields)
    lines = [f"@{kind}{{{key},"]
    lines += [f"  {name.ljust(width)} = {{{value}}}," for name, value in fields]
    lines.append("}")
    return "\n".join(lines)


def _date(rng: random.Random, year: int, precision: int) -> str:
    if precision == 1:
        return str(year)
    month = rng.randint(1, 12)
    if precision == 2:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def _bib_entry(rng: random.Random, key: str, surname: str, year: int) -> str:
    roll = rng.random()
    urldate = _date(rng, min(year + rng.randint(0, 3), 2025), 3)
    if roll < 0.62:  # journal article with a DOI
        fields = [("author", _authors(rng, surname))]
        if rng.random() < 0.08:
            fields.append(("collaboration", f"Clinical Guidelines Committee of the {rng.choice(GROUP_AUTHORS)}"))
        fields.append(("title", _title(rng)))
        if rng.random() < 0.08:
            fields.append(("titleaddon", f"[published correction appears in {rng.choice(JOURNALS)}. {year + 1}]"))
        first = rng.randint(1, 2900)
        fields += [
            ("journal", rng.choice(JOURNALS)),
            ("year", str(year)),
            ("volume", str(rng.randint(1, 400))),
            ("number", str(rng.randint(1, 12))),
            ("pages", f"{first}--{first + rng.randint(4, 40)}"),
        ]
        if rng.random() < 0.25:
            fields.append(("epubdate", _date(rng, year, 3)))
        if rng.random() < 0.2:
            fields.append(("pmid", str(rng.randint(10_000_000, 39_999_999))))
        fields.append(("doi", f"10.{rng.randint(1000, 99999)}/{key.upper()}.{rng.randint(100, 9999)}"))
        return _fields("article", key, fields)
    if roll < 0.80:  # web page
        organization, url, urltext = rng.choice(ORGANIZATIONS)
        fields = []
        if rng.random() < 0.5:
            fields.append(("author", _authors(rng, surname)))
        elif rng.random() < 0.6:
            fields.append(("author", f"{{{rng.choice(GROUP_AUTHORS)}}}"))
        fields += [("title", _title(rng)), ("organization", organization), ("url", url)]
        if urltext:
            fields.append(("urltext", urltext))
        fields.append(("date" if rng.random() < 0.6 else "updated", _date(rng, year, rng.randint(1, 3))))
        fields.append(("urldate", urldate))
        return _fields("online", key, fields)
    if roll < 0.88:  # book
        address, publisher = rng.choice(PUBLISHERS)
        fields = [
            ("author", _authors(rng, surname)),
            ("title", _title(rng)),
            ("address", address),
            ("publisher", publisher),
            ("year", str(year)),
        ]
        return _fields("book", key, fields)
    if roll < 0.95:  # report
        fields = [
            ("author", _authors(rng, surname)),
            ("title", _title(rng)),
            ("series", f"Comparative Effectiveness Review No. {rng.randint(100, 300)}"),
            ("type", "AHRQ Publication"),
            ("number", f"{year % 100:02d}-EHC{rng.randint(1, 99):03d}"),
            ("address", "Rockville, MD"),
            ("institution", "Agency for Healthcare Research and Quality"),
            ("date", _date(rng, year, 2)),
        ]
        if rng.random() < 0.5:
            fields.append(("doi", f"10.23970/AHRQEPC{key.upper()}"))
        return _fields("report", key, fields)
    address, publisher = PUBLISHERS[1]  # chapter (StatPearls)
    fields = [
        ("author", _authors(rng, surname)),
        ("title", _title(rng)),
        ("updated", _date(rng, year, 3)),
        ("booktitle", "StatPearls [Internet]"),
        ("address", address),
        ("publisher", publisher),
        ("date", f"{year}-01/"),
        ("pmid", str(rng.randint(10_000_000, 39_999_999))),
    ]
    return _fields("incollection", key, fields)


def generate_bibliography(rng: random.Random, size: int) -> list[BibEntry]:
    """``size`` entries with unique keys (case-insensitively), e.g. ``chou2015``, ``chou2015b``."""
    entries: list[BibEntry] = []
    taken: set[str] = set()
    for _ in range(size):
        surname = rng.choice(SURNAMES)
        year = rng.randint(1995, 2024)
        base = "".join(ch for ch in surname.lower() if "a" <= ch <= "z") + str(year)
        key, suffix = base, 1
        while key in taken:
            suffix += 1
            key = f"{base}{letters(suffix)}"
        taken.add(key)
        entries.append(BibEntry(key, _bib_entry(rng, key, surname, year)))
    return entries


def _cite(keys: list[str]) -> str:
    return "[" + "; ".join(f"@{k}" for k in keys) + "]"


def _paragraph(rng: random.Random, cited: list[str]) -> str:
    """Five or six seed-like sentences, each ending with a citation of the next cited keys."""
    sentences = []
    for keys in cited:
        sentence = rng.choice(OPENERS).format(
            kind=rng.choice(STUDY_KINDS),
            n=rng.randint(20, 900),
            m=rng.randint(3, 20),
            condition=rng.choice(CONDITIONS),
            procedure=rng.choice(PROCEDURES),
            finding=rng.choice(FINDINGS),
            year=rng.randint(2005, 2024),
        )
        if rng.random() < 0.5:
            sentence = sentence[:-1] + f"; other studies {rng.choice(FINDINGS)}."
        sentences.append(sentence + _cite(keys))
    return " ".join(sentences)


def _folded(text: str, indent: int) -> list[str]:
    """A YAML folded block scalar (``>-``), wrapped at spaces."""
    pad = " " * indent
    return textwrap.wrap(
        text, WRAP - indent, break_long_words=False, break_on_hyphens=False, initial_indent=pad, subsequent_indent=pad
    )


def _q(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _criteria_yaml(rng: random.Random, plan: str, depth: int, indent: int, count: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for _ in range(count):
        procedure, condition = rng.choice(PROCEDURES), rng.choice(CONDITIONS)
        nested = depth < 2 and rng.random() < (0.45 if depth == 0 else 0.25)
        if depth == 0:
            determination = rng.choice(("medically_necessary", "not_medically_necessary", "investigational"))
            words = determination.replace("_", " ")
            if nested:
                text = (
                    f"It is the policy of {plan} that *{procedure}* for {condition} is **{words}** when all of "
                    "the following are met:"
                )
            else:
                text = (
                    f"It is the policy of {plan} that *{procedure}* for {condition} is considered **{words}** "
                    f"because {rng.choice(REASONS)}."
                )
            lines.append(f"{pad}- determination: {determination}")
            lines.append(f"{pad}  text: >-")
        else:
            text = (
                f"Documented {condition} for at least {rng.randint(3, 12)} months despite "
                f"{rng.choice(('physical therapy', 'medication', 'activity modification', 'a home exercise program'))}"
                + (", and all of the following:" if nested else ";")
            )
            lines.append(f"{pad}- text: >-")
        lines += _folded(text, indent + 4)
        if nested:
            lines.append(f"{pad}  requires: all")
            lines.append(f"{pad}  criteria:")
            lines += _criteria_yaml(rng, plan, depth + 1, indent + 4, rng.randint(2, 3))
    return lines


def _cpt_codes(rng: random.Random, count: int) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        if rng.random() < 0.75:
            code = f"{rng.randint(10000, 99999)}"
        else:
            code = f"{rng.randint(0, 9999):04d}{rng.choice('FTU')}"
        if code not in codes:
            codes.append(code)
    return codes


def _months(rng: random.Random, start_year: int, count: int) -> list[tuple[str, str]]:
    """``count`` (revision, approval) months in order, approval on or after revision."""
    month_index = start_year * 12 + rng.randrange(12)
    out = []
    for _ in range(count):
        revision = month_index
        approval = revision + rng.randint(0, 2)
        out.append((_ym(revision), _ym(approval)))
        month_index = approval + rng.randint(3, 14)
    return out


def _ym(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def generate_policy(rng: random.Random, number: int, bib_keys: list[str]) -> tuple[str, str]:
    """The file name and YAML text of policy ``XX.CP.MP.<number>``."""
    policy_id = f"XX.CP.MP.{number}"
    plan = rng.choice(PLANS)
    procedure, condition = rng.choice(PROCEDURES), rng.choice(CONDITIONS)
    title = f"{procedure.title()} {rng.choice(TITLE_WORDS)} for {condition.title()} ({number})"
    references = rng.sample(bib_keys, rng.randint(26, 32))
    cited_pool = rng.sample(references, rng.randint(8, 10))
    groups: list[list[str]] = []
    pool = list(cited_pool)
    while pool:
        take = 2 if len(pool) >= 2 and rng.random() < 0.2 else 1
        groups.append(pool[:take])
        pool = pool[take:]
    while len(groups) < 10:  # re-cite, as the seed cites hayes2022 twice
        groups.append([rng.choice(cited_pool)])
    split = len(groups) // 2
    revisions = _months(rng, rng.randint(2012, 2022), rng.randint(1, 4))
    first_year, first_month = (int(part) for part in revisions[0][0].split("-"))
    effective_index = first_year * 12 + first_month - 1 + rng.randint(0, 3)
    effective = f"{_ym(effective_index)}-01"
    last_approval = revisions[-1][1]
    last_review = f"{last_approval}-{rng.randint(1, 28):02d}" if rng.random() < 0.6 else "null"

    lines = [
        "# yaml-language-server: $schema=../policy.schema.json",
        f"id: {policy_id}",
        f"title: {_q(title)}",
        f"plan: {plan}",
        f"effective_date: {effective}",
        f"last_review_date: {last_review}",
        "",
        "description:",
        "  - >-",
        *_folded(
            f"Treatment for {condition} is usually conservative (non-surgical) and focuses on pain relief and "
            f"function. In patients who have failed to respond to conservative therapy, {procedure} may be "
            "considered for both diagnostic and therapeutic purposes.",
            4,
        ),
    ]
    if rng.random() < 0.4:
        lines += [
            "notes:",
            "  - >-",
            *_folded(f"NOTE: {procedure.capitalize()} requests are managed by a utilization vendor.", 4),
        ]
    lines += ["", "criteria:", *_criteria_yaml(rng, plan, 0, 2, rng.randint(2, 4)), "", "background:"]
    lines += [f"  - heading: {_q(f'*{procedure.title()}*')}", "    content:"]
    for part in (groups[:split], groups[split:]):
        lines += ["      - >-", *_folded(_paragraph(rng, part), 8)]
    lines += [
        "",
        "code_tables:",
        f"  - heading: {_q(heading := rng.choice(CODE_TABLE_HEADINGS))}",
        "    code_system: CPT",
        f"    meaning: {'does_not_support_coverage' if 'not support' in heading else 'supports_coverage'}",
        "    rows:",
    ]
    for code in _cpt_codes(rng, rng.randint(2, 6)):
        lines += [f'      - code: "{code}"', "        description: >-"]
        lines += _folded(
            f"{procedure.capitalize()}, {rng.choice(('single level', 'each additional level', 'bilateral'))}, "
            f"with image guidance (i.e., fluoroscopy or computed tomography)",
            10,
        )
    lines += ["", "revision_log:"]
    descriptions = (
        "Policy developed.",
        "Annual review. References reviewed and updated.",
        "Criteria clarified; coding table updated.",
        "Background updated with new literature; no change to criteria.",
    )
    for i, (revision, approval) in enumerate(revisions):
        lines += [
            f"  - description: {_q(descriptions[min(i, len(descriptions) - 1)])}",
            f"    revision_date: {revision}",
            f"    approval_date: {approval}",
        ]
    lines += ["", "references:", *(f"  - {key}" for key in references)]
    return f"{policy_id.lower().replace('.', '-')}.yaml", "\n".join(lines) + "\n"


def generate_library(count: int, out_dir: Path, seed: int = 0, bib_size: int = 5000) -> None:
    """Write the whole project into ``out_dir`` (its policy/ folder is replaced)."""
    if bib_size < 40:
        raise ValueError("--bib-size must be at least 40 (each policy lists ~30 references)")
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in COPIED_DIRS:
        if (out_dir / name).exists():
            shutil.rmtree(out_dir / name)
        shutil.copytree(ROOT / name, out_dir / name)
    for name in COPIED_FILES:
        shutil.copyfile(ROOT / name, out_dir / name)
    policy_dir = out_dir / "policy"
    if policy_dir.exists():
        shutil.rmtree(policy_dir)
    shutil.copytree(ROOT / "policy" / "boilerplate", policy_dir / "boilerplate")
    entries = generate_bibliography(rng, bib_size)
    header = f"% Synthetic bibliography for the policypress benchmark ({bib_size} entries, seed {seed}).\n\n"
    (out_dir / "references.bib").write_text(
        header + "\n\n".join(entry.text for entry in entries) + "\n", encoding="utf-8", newline="\n"
    )
    keys = [entry.key for entry in entries]
    for number in range(1, count + 1):
        name, text = generate_policy(rng, number, keys)
        (policy_dir / name).write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", metavar="N", type=int, help="number of policies")
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="project folder to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--bib-size", type=int, default=5000, help="entries in references.bib (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("N must be at least 1")
    generate_library(args.count, args.out_dir, args.seed, args.bib_size)
    print(f"wrote {args.count} policies and {args.bib_size} references to {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
