"""Document ingestion: .txt, .md, .docx, .pdf and .html become scrubbed passages with metadata.

Metadata travels with every passage: document title, section path, region (named in the
title or the section headings), date, and audience (a document marked 不予公开 is agent-only).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from knowledge.chunk import chunk_text, heading_level
from knowledge.regions import region_table
from knowledge.scrub import scrub
from knowledge.textnorm import DATA_DIR, clean_text

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")
RESTRICTED_MARKS = ("不予公开", "内部资料", "不得公开", "内部文件")
_DATE_RE = re.compile(r"(20\d{2}|19\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DOCNO_YEAR_RE = re.compile(r"[〔\[（(](20\d{2})[〕\]）)]")


class IngestError(ValueError):
    """A document cannot be read; the message names the file and why."""


@dataclass(frozen=True)
class DocPassage:
    """A passage of an ingested document, ready to be indexed."""

    id: str
    text: str
    doc_title: str
    section_path: tuple[str, ...]
    region: str | None
    date: str
    audience: str
    source: str


@lru_cache(maxsize=1)
def _boilerplate() -> tuple[re.Pattern[str], ...]:
    lines = (DATA_DIR / "boilerplate.txt").read_text(encoding="utf-8").splitlines()
    return tuple(re.compile(ln) for ln in lines if ln.strip() and not ln.startswith("#"))


def strip_boilerplate(text: str) -> str:
    """Drop lines of page furniture (date banners, accessibility links, footers)."""
    patterns = _boilerplate()
    return "\n".join(ln for ln in text.split("\n") if not any(p.search(ln) for p in patterns))


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(f"{path}: not UTF-8 or GB18030 text")


def _read_docx(path: Path) -> str:
    import docx  # python-docx

    document = docx.Document(str(path))
    lines = []
    for para in document.paragraphs:
        style = (para.style.name or "").lower() if para.style is not None else ""
        level = re.search(r"heading\s*(\d)", style)
        lines.append(("#" * int(level.group(1)) + " " if level else "") + para.text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


def _read_html(data: bytes, path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data, path), "lxml")
    for tag in soup(["script", "style", "nav", "header", "footer", "aside", "form", "noscript"]):
        tag.decompose()
    for level in range(1, 7):
        for h in soup.find_all(f"h{level}"):
            h.string = "#" * level + " " + h.get_text(" ", strip=True)
    body = soup.body or soup
    return body.get_text("\n")


def read_document(path: Path) -> str:
    """Raw text of one file; unsupported or unreadable files raise IngestError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"{path}: unsupported format {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        if suffix == ".docx":
            return _read_docx(path)
        if suffix == ".pdf":
            return _read_pdf(path)
        if suffix in (".html", ".htm"):
            return _read_html(data, path)
    except IngestError:
        raise
    except Exception as exc:  # parsers raise many types on corrupt files
        raise IngestError(f"{path}: cannot parse {suffix} file ({type(exc).__name__}: {exc})") from exc
    return _decode(data, path)


def detect_title(text: str, fallback: str) -> str:
    """The first heading that looks like a document title (《…》 or a markdown/short line)."""
    for line in text.split("\n")[:40]:
        stripped = line.strip().strip("*#").strip()
        quoted = re.search(r"《([^》]{4,60})》", stripped)
        if quoted and len(stripped) <= 80:
            return quoted.group(1)
    for line in text.split("\n")[:40]:
        found = heading_level(line)
        if found and found[0] == 1 and len(found[1]) >= 6 and not re.search(r"[〔〕]\d|^\(", found[1]):
            return found[1].strip("*# ")
    return fallback


def detect_date(text: str) -> str:
    """The document's date: the first full date, else the year of its document number."""
    match = _DATE_RE.search(text)
    if match:
        y, m, d = (int(g) for g in match.groups())
        if 1 <= m <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{m:02d}-{d:02d}"
    year = _DOCNO_YEAR_RE.search(text)
    return year.group(1) if year else ""


def detect_region(text: str) -> str | None:
    """The region a piece of text is about: the most specific of the most named regions."""
    found = region_table().find_all(text)
    if not found:
        return None
    counts = Counter(r.path for r in found)
    top, top_count = counts.most_common(1)[0]
    # A more specific region under the most frequent one refines it.
    deeper = [p for p in counts if p.startswith(top + "/") and counts[p] * 2 >= top_count]
    return max(deeper, key=len) if deeper else top


def is_restricted(text: str) -> bool:
    head = "\n".join(text.split("\n")[:30])
    return any(mark in head for mark in RESTRICTED_MARKS)


def ingest_file(path: Path, *, max_chars: int = 320) -> list[DocPassage]:
    """Read, clean, scrub and split one document into passages with metadata."""
    path = Path(path)
    raw = read_document(path)
    text = "\n".join(clean_text(ln) for ln in strip_boilerplate(raw.replace("\r\n", "\n")).split("\n"))
    text = scrub(text)
    if not text.strip():
        raise IngestError(f"{path}: no text after cleaning")
    title = detect_title(text, path.stem)
    audience = "agent" if is_restricted(text) else "public"
    date = detect_date(text)
    head_lines = "\n".join(text.split("\n")[:15])
    doc_region = detect_region(title) or detect_region(head_lines)
    passages = []
    for passage in chunk_text(text, max_chars=max_chars):
        heads = " ".join(passage.section_path)
        region = detect_region(heads) if heads else None
        region = region or doc_region
        digest = hashlib.sha1(f"{path.name}|{passage.line}|{passage.text}".encode()).hexdigest()[:12]
        passages.append(
            DocPassage(
                id=f"doc-{path.stem}-{digest}",
                text=passage.text,
                doc_title=title,
                section_path=passage.section_path,
                region=region,
                date=date,
                audience=audience,
                source=f"{path.name} L{passage.line}",
            )
        )
    log.info(
        "ingested %s: %d passages, audience=%s, region=%s", path.name, len(passages), audience, doc_region
    )
    return passages


def iter_documents(paths: list[Path]) -> list[Path]:
    """Expand folders into the supported files under them, sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES))
        elif path.exists():
            files.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return files
