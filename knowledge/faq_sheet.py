"""A centre's FAQ spreadsheet (CSV in UTF-8, UTF-8 with BOM or GBK; XLSX) read into checked rows.

Columns are named in English or Chinese (question/问题, answer/答案, region/地区, effective/生效日期,
source/来源; optional topic/主题, audience/受众, similar/相似问题). Every row is checked before anything
is used: a sheet yields either all its rows or all its problems, each with the row number a person
sees in a spreadsheet program and a code the caller turns into words (``RowError.code``), so that
nothing is half-imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.catalog import AUDIENCES, SOURCE_MAX
from knowledge.regions import region_table
from knowledge.textnorm import clean_text

__all__ = [
    "COLUMNS",
    "FaqRow",
    "RowError",
    "SheetInvalid",
    "parse_sheet",
    "question_key",
    "read_sheet",
]

# Column -> accepted header spellings (compared without case, spaces or a trailing "(可选)").
COLUMNS: dict[str, tuple[str, ...]] = {
    "question": ("question", "问题", "标准问题", "问法"),
    "answer": ("answer", "答案", "答复", "回答"),
    "region": ("region", "地区", "参保地", "适用地区"),
    "effective": ("effective", "生效日期", "生效时间", "日期"),
    "source": ("source", "来源", "出处", "依据"),
    "topic": ("topic", "主题", "分类", "类别"),
    "audience": ("audience", "受众", "适用对象"),
    "similar": ("similar", "相似问题", "相似问法", "其他问法"),
}
REQUIRED = ("question", "answer", "region", "effective", "source")
AUDIENCE_NAMES = {"public": "public", "公众": "public", "来电人": "public", "agent": "agent", "坐席": "agent"}
NATIONAL = ("全国", "全国通用", "national")
# Cell limits: those of an entry as the editor saves it (the question becomes the 120-character title).
MAX_LEN = {"question": 120, "answer": 4000, "region": 64, "source": SOURCE_MAX, "topic": 64, "similar": 120}
MAX_SIMILAR = 20
MAX_ROWS = 20000
DEFAULT_TOPIC = "常见问题"

_SPLIT_SIMILAR_RE = re.compile(r"[\n；;]+")
_DATE_RES = (
    re.compile(r"^(\d{4})$"),
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"),
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"),
)
_QUESTION_PUNCT_RE = re.compile(r"[\s，。？！、,.?!；;：:“”\"'（）()]+")


@dataclass(frozen=True)
class FaqRow:
    """One checked row of a sheet; ``region`` is canonical (None: national)."""

    row: int
    question: str
    answer: str
    region: str | None
    effective: str
    source: str
    topic: str = DEFAULT_TOPIC
    audience: str = "public"
    similar: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RowError:
    """One problem: the sheet row (1 = the header row), the column, a code and its details."""

    row: int
    column: str
    code: str
    detail: str = ""


class SheetInvalid(ValueError):
    """The sheet has problems; ``errors`` lists every one of them."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} problem(s) in the sheet, first: {self.errors[0]}")


def question_key(question: str) -> str:
    """A question as compared for duplicates and re-imports: cleaned, no punctuation or spaces."""
    return _QUESTION_PUNCT_RE.sub("", clean_text(question)).lower()


# ---- reading ------------------------------------------------------------------------------------
def decode_csv(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM) when they decode as such, else GBK (GB18030)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise SheetInvalid([RowError(0, "", "encoding")]) from exc


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    text = decode_csv(data)
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
        yield number, list(record)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or non-XLSX file: openpyxl raises many kinds
        raise SheetInvalid([RowError(0, "", "unreadable", type(exc).__name__)]) from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").strip()


def _header_key(cell: str) -> str:
    return re.sub(r"[\s_]|（可选）|\(可选\)|\(optional\)", "", cell.lower())


_HEADER_NAMES = {_header_key(name): column for column, names in COLUMNS.items() for name in names}


# ---- checking -----------------------------------------------------------------------------------
def parse_date(text: str) -> str | None:
    """``2023``, ``2023-07``, ``2023/7/1``, ``2023年7月1日`` -> ISO text (YYYY, YYYY-MM, YYYY-MM-DD)."""
    text = text.strip()
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if not match:
            continue
        parts = [int(p) for p in match.groups()]
        try:
            dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError:
            return None
        if not 1900 <= parts[0] <= 2100:
            return None
        return "-".join([f"{parts[0]:04d}", *(f"{p:02d}" for p in parts[1:])])
    return None


def parse_region(text: str) -> str | None:
    """A region cell as a canonical path: ``开封``, ``河南/开封`` or ``河南省开封市``; None if unknown."""
    table = region_table()
    try:
        return table.canonical(text)
    except ValueError:
        pass
    # Full administrative names written together: every character must belong to a found name.
    rest = text.replace(" ", "")
    found = table.find_all(rest)
    for region in sorted(found, key=lambda r: len(r.full_name), reverse=True):
        rest = rest.replace(region.full_name, "").replace(region.stem, "")
    return table.extract(text) if found and not rest else None


def _check_row(number: int, cells: dict[str, str]) -> tuple[FaqRow | None, list[RowError]]:
    errors = [RowError(number, c, "missing") for c in REQUIRED if not cells.get(c)]
    errors += [
        RowError(number, c, "too_long", str(limit))
        for c, limit in MAX_LEN.items()
        if c != "similar" and len(cells.get(c, "")) > limit
    ]
    region: str | None = None
    raw_region = cells.get("region", "")
    if raw_region and raw_region not in NATIONAL:
        region = parse_region(raw_region)
        if region is None:
            errors.append(RowError(number, "region", "bad_region", raw_region))
    effective = ""
    if cells.get("effective"):
        effective = parse_date(cells["effective"]) or ""
        if not effective:
            errors.append(RowError(number, "effective", "bad_date", cells["effective"]))
    audience = AUDIENCE_NAMES.get(cells.get("audience", "").lower() or "public")
    if audience not in AUDIENCES:
        errors.append(RowError(number, "audience", "bad_audience", cells.get("audience", "")))
    similar: list[str] = []
    for phrase in _SPLIT_SIMILAR_RE.split(cells.get("similar", "")):
        phrase = phrase.strip()
        if len(phrase) > MAX_LEN["similar"]:
            errors.append(RowError(number, "similar", "too_long", str(MAX_LEN["similar"])))
        elif phrase and phrase != cells.get("question") and phrase not in similar:
            similar.append(phrase)
    if len(similar) > MAX_SIMILAR:
        errors.append(RowError(number, "similar", "too_many", str(MAX_SIMILAR)))
    if errors:
        return None, errors
    row = FaqRow(
        row=number,
        question=clean_text(cells["question"]),
        answer=cells["answer"].strip(),
        region=region,
        effective=effective,
        source=clean_text(cells["source"]),
        topic=clean_text(cells.get("topic", "")) or DEFAULT_TOPIC,
        audience=str(audience),
        similar=tuple(clean_text(s) for s in similar),
    )
    return row, []


def check_rows(records: Iterable[tuple[int, list[object]]]) -> list[FaqRow]:
    """Map the header, check every row, and return the rows (or raise ``SheetInvalid`` with all errors)."""
    columns: dict[int, str] | None = None
    header_row = 0
    rows: list[FaqRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str | None], int] = {}
    for number, values in records:
        texts = [_cell_text(v) for v in values]
        if not any(texts):
            continue
        if columns is None:
            header_row = number
            columns = {
                i: _HEADER_NAMES[_header_key(t)]
                for i, t in enumerate(texts)
                if _header_key(t) in _HEADER_NAMES
            }
            missing = [c for c in REQUIRED if c not in columns.values()]
            if missing:
                raise SheetInvalid([RowError(number, c, "missing_column") for c in missing])
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            raise SheetInvalid([RowError(number, "", "too_many_rows", str(MAX_ROWS))])
        cells = {c: texts[i] for i, c in columns.items() if i < len(texts) and texts[i]}
        row, problems = _check_row(number, cells)
        errors.extend(problems)
        if row is None:
            continue
        key = (question_key(row.question), row.region)
        if key in seen:
            errors.append(RowError(number, "question", "duplicate", str(seen[key])))
            continue
        seen[key] = number
        rows.append(row)
    if columns is None:
        raise SheetInvalid([RowError(1, "", "empty")])
    if errors:
        raise SheetInvalid(errors)
    if not rows:
        raise SheetInvalid([RowError(header_row + 1, "", "no_rows")])
    return rows


def parse_sheet(data: bytes, filename: str) -> list[FaqRow]:
    """The checked rows of a sheet given as bytes; the file name's suffix says CSV or XLSX."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return check_rows(_xlsx_rows(data))
    if suffix in (".csv", ".txt", ".tsv"):
        return check_rows(_csv_rows(data))
    raise SheetInvalid([RowError(0, "", "bad_format", suffix or filename)])


def read_sheet(path: Path) -> list[FaqRow]:
    """The checked rows of a sheet file."""
    return parse_sheet(Path(path).read_bytes(), Path(path).name)
