"""Reading import files: what a marketer uploads becomes the header and rows they expect."""

import datetime
import io
import re
import struct
import zipfile

import openpyxl
import pytest

from core.tabular import FileRefused, open_table


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def zip_bytes(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_it_detects_cp1252_and_semicolons(tmp_path):
    data = "email;name\r\nzoe@example.com;Zoé Müller\r\nann@example.com\r\n".encode("cp1252")
    table = open_table(write(tmp_path, "list.csv", data))
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "cp1252", ";")
    assert table.header() == ["email", "name"]
    assert list(table.rows()) == [["zoe@example.com", "Zoé Müller"], ["ann@example.com", ""]]


def test_it_reads_utf16_with_a_bom_and_tabs(tmp_path):
    data = "email\tcity\nbob@example.com\tKöln\n".encode("utf-16")
    table = open_table(write(tmp_path, "list.txt", data))
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert list(table.rows()) == [["bob@example.com", "Köln"]]


def test_it_keeps_a_newline_inside_quotes_and_drops_trailing_empty_rows(tmp_path):
    data = b'email,note,\nbob@example.com,"line one\nline two",\n,\n\n'
    table = open_table(write(tmp_path, "notes.csv", data))
    assert table.header() == ["email", "note"]
    assert list(table.rows()) == [["bob@example.com", "line one\nline two"]]
    assert table.count() == 1


def test_it_writes_xlsx_values_as_text(tmp_path):
    rows = [
        ["id", "score", "born", "seen", "vip", "note"],
        [12, 12.5, datetime.date(2024, 5, 1), datetime.datetime(2024, 5, 1, 10, 30), True, None],
    ]
    table = open_table(write(tmp_path, "upload.bin", xlsx_bytes(rows)), name="people.xlsx")
    assert (table.kind, table.members, table.encoding) == ("xlsx", ["people.xlsx"], None)
    assert table.header() == rows[0]
    assert list(table.rows()) == [["12", "12.5", "2024-05-01", "2024-05-01T10:30:00", "true", ""]]


def test_it_joins_the_files_of_a_zip_skipping_each_header(tmp_path):
    data = zip_bytes(
        {
            "b.xlsx": xlsx_bytes([["email", "name"], ["cy@example.com", "Cy"]]),
            "a.csv": "email,name\nann@example.com,Ann\n",
            "__MACOSX/._a.csv": b"\x00\x05junk",
        }
    )
    table = open_table(write(tmp_path, "lists.zip", data))
    assert (table.kind, table.members) == ("zip", ["a.csv", "b.xlsx"])
    assert list(table.rows()) == [["ann@example.com", "Ann"], ["cy@example.com", "Cy"]]
    assert list(table.rows(start=1)) == [["cy@example.com", "Cy"]]
    assert table.count() == 2


def test_it_refuses_a_zip_whose_files_have_other_columns(tmp_path):
    data = zip_bytes({"a.csv": "email,name\n", "b.csv": "phone,name\n"})
    with pytest.raises(FileRefused, match=re.escape("File b.csv has other columns than a.csv")):
        open_table(write(tmp_path, "lists.zip", data))


def test_it_refuses_zip_bombs(tmp_path, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 100_000
    zeros = b"email\n" + b"0" * 1_000_000
    honest = zip_bytes({"a.csv": zeros})
    assert len(honest) < 10_000  # a high compression ratio
    with pytest.raises(FileRefused, match=re.escape("unpacks to 1 MB; at most 100 KB")):
        open_table(write(tmp_path, "honest.zip", honest))

    # The same entry declaring 50 bytes in both headers: reading it must not believe that.
    lying = bytearray(honest)
    local = lying.index(b"PK\x03\x04")
    central = lying.index(b"PK\x01\x02")
    lying[local + 22 : local + 26] = struct.pack("<I", 50)
    lying[central + 24 : central + 28] = struct.pack("<I", 50)
    with pytest.raises(FileRefused, match=re.escape("a.csv in the ZIP")):
        open_table(write(tmp_path, "lying.zip", bytes(lying)))


def test_it_refuses_a_nested_zip(tmp_path):
    data = zip_bytes({"inner.zip": zip_bytes({"a.csv": "email\n"})})
    with pytest.raises(FileRefused, match=re.escape("inner.zip in the ZIP is itself a ZIP")):
        open_table(write(tmp_path, "outer.zip", data))


def test_it_refuses_a_file_over_the_size_limit(tmp_path, settings):
    settings.IMPORT_MAX_FILE_BYTES = 1000
    with pytest.raises(
        FileRefused, match=re.escape("The file is 3 KB; files up to 1 KB can be imported")
    ):
        open_table(write(tmp_path, "big.csv", b"email\n" + b"a@b.co\n" * 300))


@pytest.mark.parametrize(
    "header, message",
    [("email,,name", "Column 2 has no name"), ("email,name,Email", "Two columns are named Email")],
)
def test_it_refuses_a_header_with_an_empty_or_repeated_name(tmp_path, header, message):
    with pytest.raises(FileRefused, match=message):
        open_table(write(tmp_path, "list.csv", f"{header}\nx,y,z\n".encode()))


def test_it_names_columns_when_the_file_has_no_header(tmp_path):
    data = b"bob@example.com,Bob\nann@example.com,Ann,extra\n"
    table = open_table(write(tmp_path, "list.csv", data), header=False)
    assert table.header() == ["Column 1", "Column 2", "Column 3"]
    assert list(table.rows(start=1)) == [["ann@example.com", "Ann", "extra"]]
    assert table.count() == 2


def test_it_refuses_binary_and_empty_files(tmp_path):
    with pytest.raises(FileRefused, match="neither a CSV text file nor an Excel"):
        open_table(write(tmp_path, "photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4))
    with pytest.raises(FileRefused, match="The file is empty"):
        open_table(write(tmp_path, "empty.csv", b""))
