"""Read an uploaded import file (CSV, XLSX or a ZIP of them) as rows of text.

The import engine and the file import page see one shape whatever was uploaded: a `Table`
with a header and rows of strings. Everything a person can get wrong with a file (its size,
its encoding, a ZIP bomb, a header with holes) is refused here with `FileRefused`, whose text
is a sentence to show them, so no caller has to turn a library's exception into words.
"""

import codecs
import csv
import functools
import io
import itertools
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

SAMPLE_BYTES = 64 * 1024  # what encoding and delimiter detection look at
SNIFF_CHARS = 16 * 1024  # csv.Sniffer is slow on long samples
CHUNK_BYTES = 1024 * 1024
DELIMITERS = ",;\t|"
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, and password-protected workbooks
BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# A quoted cell may hold a long text (a note, an HTML snippet); the default limit is 128 KB.
csv.field_size_limit(16 * 1024 * 1024)


class FileRefused(ValueError):
    """The file cannot be read as a table; str(error) is a sentence for the person."""


@dataclass
class _Member:
    """One file to read rows from: the upload itself, or one file inside a ZIP."""

    name: str
    kind: str  # "csv" or "xlsx"
    encoding: str | None = None
    delimiter: str | None = None
    info: zipfile.ZipInfo | None = None  # set when the file is inside a ZIP


@dataclass
class Table:
    kind: str  # "csv", "xlsx" or "zip"
    members: list[str]  # names of the files inside (the file's own name when not a zip)
    encoding: str | None  # of a CSV ("utf-8", "utf-16", "cp1252"...), None for xlsx
    delimiter: str | None  # of a CSV
    _path: str = field(default="", repr=False)
    _has_header: bool = field(default=True, repr=False)
    _members: list[_Member] = field(default_factory=list, repr=False)
    _header: list[str] = field(default_factory=list, repr=False)
    _count: int | None = field(default=None, repr=False)

    def rows(self, start: int = 0) -> Iterator[list[str]]:
        """Every data row of every member in order, from row number `start` (0-based).

        Resuming re-reads from the beginning and skips, which is cheap next to importing.
        """
        return itertools.islice(self._all_rows(), start, None)

    def header(self) -> list[str]:
        """Return the column names (generated "Column N" ones when the file has no header)."""
        return list(self._header)

    def count(self) -> int:
        """Return the number of data rows, read once and remembered (for a progress bar)."""
        if self._count is None:
            self._count = sum(1 for _ in self._all_rows())
        return self._count

    def _all_rows(self) -> Iterator[list[str]]:
        width = len(self._header)
        for member in self._members:
            raw = self._raw_rows(member)
            if self._has_header:
                next(raw, None)
            yield from _tidy(raw, width)

    def _raw_rows(self, member: _Member) -> Iterator[list[str]]:
        """Yield a member's rows as the reader gives them (header included, nothing padded)."""
        if member.info is None:
            if member.kind == "xlsx":
                yield from _xlsx_rows(self._path, member.name)
                return
            with open(self._path, encoding=member.encoding, newline="") as text:
                yield from _csv_rows(text, member)
            return
        with zipfile.ZipFile(self._path) as archive:
            if member.kind == "xlsx":
                data = _read_member(archive, member.info)
                yield from _xlsx_rows(io.BytesIO(data), member.name)
                return
            with _open_member(archive, member.info) as raw:
                text = io.TextIOWrapper(raw, encoding=member.encoding, newline="")
                yield from _csv_rows(text, member)


def open_table(path, *, name: str = "", header: bool = True) -> Table:
    """Open the file at `path` as a table, or raise FileRefused saying what is wrong with it.

    The kind is read from the content, never trusted from the name (`name` is the upload's
    own name, used in messages): a ZIP holding `[Content_Types].xml` and `xl/` is an XLSX,
    another ZIP is an archive of CSV/XLSX files, anything else is read as CSV text.
    """
    path = os.fspath(path)
    name = name or os.path.basename(path)
    size = os.path.getsize(path)
    if size > settings.IMPORT_MAX_FILE_BYTES:
        raise FileRefused(
            f"The file is {_megabytes(size)}; files up to "
            f"{_megabytes(settings.IMPORT_MAX_FILE_BYTES)} can be imported."
        )
    if size == 0:
        raise FileRefused("The file is empty.")
    with open(path, "rb") as raw:
        head = raw.read(SAMPLE_BYTES)
    if head.startswith(b"PK") and zipfile.is_zipfile(path):
        table = _open_zip(path, name)
    else:
        member = _Member(name=name, kind="csv")
        _detect_text(member, functools.partial(open, path, "rb"), head, f"The file {name}")
        table = Table(
            kind="csv",
            members=[name],
            encoding=member.encoding,
            delimiter=member.delimiter,
            _members=[member],
        )
    table._path = path
    table._has_header = header
    _read_header(table)
    return table


def _open_zip(path: str, name: str) -> Table:
    """Check a ZIP's listing and classify it as one XLSX or an archive of CSV/XLSX files."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise FileRefused(f"The ZIP file {name} is damaged ({error}).") from None
    with archive:
        infos = archive.infolist()
        entries = {info.filename for info in infos}
        if "[Content_Types].xml" in entries and any(e.startswith("xl/") for e in entries):
            _check_xlsx_entries(archive, f"The workbook {name}")
            return Table(
                kind="xlsx",
                members=[name],
                encoding=None,
                delimiter=None,
                _members=[_Member(name=name, kind="xlsx")],
            )
        if len(infos) > settings.IMPORT_MAX_ZIP_MEMBERS:
            raise FileRefused(
                f"The ZIP holds {len(infos)} files; at most "
                f"{settings.IMPORT_MAX_ZIP_MEMBERS} can be imported at once."
            )
        wanted = sorted((i for i in infos if not _ignored(i)), key=lambda i: i.filename)
        if not wanted:
            raise FileRefused("The ZIP holds no CSV or XLSX file.")
        _check_unpacked(archive, "The ZIP")
        members = [_classify_member(archive, info) for info in wanted]
    first = members[0]
    return Table(
        kind="zip",
        members=[m.name for m in members],
        encoding=first.encoding,
        delimiter=first.delimiter,
        _members=members,
    )


def _ignored(info: zipfile.ZipInfo) -> bool:
    """Folders, macOS resource forks and hidden files are packed by accident, not data."""
    parts = info.filename.split("/")
    return info.is_dir() or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def _check_unpacked(archive: zipfile.ZipFile, label: str) -> None:
    """Refuse a ZIP whose declared sizes pass the limit, or whose entries are encrypted.

    Declared sizes can lie, so every read of an entry also counts its bytes against what it
    declared (`_open_member`); together the two bound what a ZIP can unpack to.
    """
    limit = settings.IMPORT_MAX_UNPACKED_BYTES
    total = sum(info.file_size for info in archive.infolist())
    if total > limit:
        raise FileRefused(
            f"{label} unpacks to {_megabytes(total)}; at most {_megabytes(limit)} can be imported."
        )
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise FileRefused(
                f"{label} is password-protected ({info.filename}); remove the password."
            )


def _check_xlsx_entries(archive: zipfile.ZipFile, label: str) -> None:
    """Unpack a workbook's entries once, counting, before calamine reads them uncounted."""
    _check_unpacked(archive, label)
    for info in archive.infolist():
        with _open_member(archive, info) as raw:
            while raw.read(CHUNK_BYTES):
                pass


def _classify_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Member:
    """Tell a CSV from an XLSX inside a ZIP, refusing nested ZIPs and other files."""
    member = _Member(name=info.filename, kind="csv", info=info)
    label = f"File {info.filename} in the ZIP"
    lower = info.filename.lower()
    with _open_member(archive, info) as raw:
        head = raw.read(SAMPLE_BYTES)
    if head.startswith(b"PK"):
        data = _read_member(archive, info)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                names = inner.namelist()
                is_xlsx = "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)
                if is_xlsx:
                    _check_xlsx_entries(inner, label)
        except zipfile.BadZipFile:
            raise FileRefused(f"{label} is damaged.") from None
        if not is_xlsx:
            raise FileRefused(f"{label} is itself a ZIP; put the CSV or XLSX files in one ZIP.")
        member.kind = "xlsx"
        return member
    if lower.endswith(XLSX_SUFFIXES):
        raise FileRefused(f"{label} is not a readable Excel workbook.")
    if not lower.endswith(CSV_SUFFIXES):
        raise FileRefused(f"{label} is neither a CSV nor an XLSX file.")
    _detect_text(member, lambda: _open_member(archive, info), head, label)
    return member


class _CountedReader(io.RawIOBase):
    """A ZIP entry's bytes, refused as soon as they pass the size the entry declared."""

    def __init__(self, stream, info: zipfile.ZipInfo):
        self._stream = stream
        self._info = info
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._stream.read(len(buffer))
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise FileRefused(
                f"File {self._info.filename} in the ZIP is damaged or does not match its "
                f"declared size ({error})."
            ) from None
        self._read += len(data)
        if self._read > self._info.file_size:
            raise FileRefused(
                f"File {self._info.filename} in the ZIP unpacks to more than it declares; "
                "the ZIP was refused."
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> io.BufferedReader:
    try:
        stream = archive.open(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
        raise FileRefused(f"File {info.filename} in the ZIP cannot be read ({error}).") from None
    return io.BufferedReader(_CountedReader(stream, info), CHUNK_BYTES)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with _open_member(archive, info) as raw:
        return raw.read()


def _detect_text(member: _Member, reopen, head: bytes, label: str) -> None:
    """Set a CSV's encoding and delimiter, or refuse a file that is not text."""
    if head.startswith(OLE_MAGIC):
        raise FileRefused(
            f"{label} is an old Excel .xls file or a password-protected workbook; save it as "
            ".xlsx without a password, or as CSV."
        )
    member.encoding = _detect_encoding(reopen, head, label)
    sample = head.decode(member.encoding, errors="ignore")
    if not sample.strip():
        raise FileRefused(f"{label} is empty.")
    if _looks_binary(sample):
        raise FileRefused(f"{label} is neither a CSV text file nor an Excel (.xlsx) file.")
    member.delimiter = _detect_delimiter(sample)


def _detect_encoding(reopen, head: bytes, label: str) -> str:
    """Return the encoding: a BOM's, else UTF-8, else Windows-1252, else a detector's guess.

    Each guess must decode the whole file strictly. Windows-1252 comes before the detector
    because on the short texts of a contact list charset-normalizer often picks a wrong code
    page (cp1250, cp775) and turns "Zoé" into garbage.
    """
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    candidates = ["utf-8"]
    if b"\x00" in head:  # UTF-16 without a BOM: ASCII letters alternate with zero bytes
        odd_zeros = head[1::2].count(0)
        even_zeros = head[0::2].count(0)
        if max(odd_zeros, even_zeros) > len(head) / 4:
            candidates = ["utf-16-le" if odd_zeros > even_zeros else "utf-16-be"]
    candidates.append("cp1252")
    for encoding in candidates:
        if _decodes(reopen, encoding):
            return encoding
    import charset_normalizer  # only for the rare file that no simple guess decodes

    guess = charset_normalizer.from_bytes(head).best()
    if guess is not None and _decodes(reopen, guess.encoding):
        return codecs.lookup(guess.encoding).name
    if _looks_binary(head.decode("latin-1")):
        raise FileRefused(f"{label} is neither a CSV text file nor an Excel (.xlsx) file.")
    raise FileRefused(
        f"{label} is in a text encoding that could not be recognised; save it as UTF-8 CSV."
    )


def _looks_binary(sample: str) -> bool:
    """Text files hold no zero bytes and almost no control characters besides line breaks."""
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f")
    return "\x00" in sample or controls > len(sample) / 100


def _decodes(reopen, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with reopen() as raw:
            while chunk := raw.read(CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_delimiter(sample: str) -> str:
    """Return the delimiter among , ; tab | (csv.Sniffer, else the commonest in line one)."""
    text = sample[:SNIFF_CHARS]
    if len(sample) > SNIFF_CHARS and "\n" in text:
        text = text[: text.rindex("\n")]
    try:
        return csv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = text.splitlines()[0] if text.strip() else ""
        counts = {d: first_line.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _csv_rows(text, member: _Member) -> Iterator[list[str]]:
    reader = csv.reader(text, delimiter=member.delimiter)
    try:
        yield from reader
    except csv.Error as error:
        raise FileRefused(
            f"Line {reader.line_num} of {member.name} cannot be read: {error}."
        ) from None


def _xlsx_rows(source, name: str) -> Iterator[list[str]]:
    """Yield the first visible worksheet's rows as text (see `_cell_text`)."""
    import python_calamine

    try:
        if isinstance(source, str):
            workbook = python_calamine.CalamineWorkbook.from_path(source)
        else:
            workbook = python_calamine.CalamineWorkbook.from_filelike(source)
        sheets = [
            s.name
            for s in workbook.sheets_metadata
            if s.typ == python_calamine.SheetTypeEnum.WorkSheet
            and s.visible == python_calamine.SheetVisibleEnum.Visible
        ] or workbook.sheet_names
        if not sheets:
            raise FileRefused(f"The workbook {name} has no sheet.")
        rows = workbook.get_sheet_by_name(sheets[0]).iter_rows()
    except python_calamine.PasswordError:
        raise FileRefused(
            f"The workbook {name} is password-protected; remove the password."
        ) from None
    except python_calamine.CalamineError as error:
        raise FileRefused(f"The workbook {name} cannot be read ({error}).") from None
    for row in rows:
        yield [_cell_text(value) for value in row]


def _cell_text(value) -> str:
    """Write a spreadsheet value as a person would type it: 12 not 12.0, ISO dates."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):  # datetime, date, time
        return value.isoformat()
    return str(value)


def _tidy(rows: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    """Fit rows to the header's width and drop the empty rows at the end of a file.

    Cells past the header are kept when they hold something: the caller reports them.
    """
    blanks = []
    for row in rows:
        if not any(row):
            blanks.append(row)
            continue
        for blank in blanks:
            yield [""] * max(width, len(blank))
        blanks.clear()
        if len(row) < width:
            row = row + [""] * (width - len(row))
        elif len(row) > width and not any(row[width:]):
            row = row[:width]  # empty cells past the header, as Excel and many exports leave
        yield row


def _read_header(table: Table) -> None:
    """Read, check and set the header: the first row, or "Column N" names without one."""
    first, *others = table._members
    if not table._has_header:
        widest = max((len(row) for row in itertools.islice(table._raw_rows(first), 100)), default=0)
        if widest == 0:
            raise FileRefused(f"{first.name} has no rows.")
        table._header = [f"Column {n}" for n in range(1, widest + 1)]
        return
    table._header = _member_header(table, first)
    _check_names(table._header, first.name if table.kind == "zip" else "")
    for member in others:
        if _folded(_member_header(table, member)) != _folded(table._header):
            raise FileRefused(f"File {member.name} has other columns than {first.name}.")


def _member_header(table: Table, member: _Member) -> list[str]:
    """Return a member's first row, stripped, without the empty cells Excel leaves at its end."""
    row = next(table._raw_rows(member), [])
    names = [name.strip() for name in row]
    while names and not names[-1]:
        names.pop()
    return names


def _check_names(names: list[str], where: str) -> None:
    """Refuse a header that cannot name columns: empty, holed, repeated, or data."""
    of = f" of {where}" if where else ""
    if not names:
        raise FileRefused(f"The first row{of} should hold the column names but is empty.")
    seen = set()
    for number, name in enumerate(names, 1):
        if not name:
            raise FileRefused(f"Column {number}{of} has no name.")
        if name.casefold() in seen:
            raise FileRefused(f"Two columns{of} are named {name}.")
        seen.add(name.casefold())
        if EMAIL_LIKE.match(name):
            raise FileRefused(
                f"The first row{of} looks like data ({name}), not column names; import the "
                "file without a header row, or add one."
            )


def _folded(names: list[str]) -> list[str]:
    return [name.casefold() for name in names]


def _megabytes(size: int) -> str:
    """Write a size the way a person reads it: "3 KB", "1.5 MB", "200 MB"."""
    if size < 1000**2:
        return f"{-(-size // 1000)} KB"
    return f"{size / 1000**2:,.1f} MB".replace(".0 MB", " MB")
