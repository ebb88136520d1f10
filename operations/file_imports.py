"""Importing a file of profiles (CSV, XLSX or a ZIP of them) on the worker, through the
same engine as the API (``operations.imports``).

A person uploads the file (``store_upload``), sees its columns with the targets proposed
from their names and a preview of the first rows as they will be stored (``preview``,
``preview_rows``: the rows are imported in a transaction that is rolled back), chooses
the mode, the matching key and the options, and starts the job (``start_file_import``).

The job reads the file a chunk of rows at a time. Each chunk is imported, its lines are
appended to the per-row report (a CSV: row, status, profile_id, errors) and the position
(rows done, the report's size, the counts) is committed with the chunk's writes. A worker
killed mid-chunk leaves nothing of that chunk: the next one cuts the report back to the
committed size and imports the chunk again, so nothing is imported twice.
"""

import contextlib
import csv
import io
import itertools
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.context import acting
from core.tabular import FileRefused, open_table
from core.text import neutralise
from history.models import Event
from jobs import runner
from jobs.kinds import Chunk, JobKind, register
from jobs.models import Job, files_root
from profiles.fields import STANDARD_FIELDS
from profiles.models import Profile
from segments.models import Segment, SegmentMembership
from subscriptions.models import Resource

from .imports import MATCH_KEYS, MATCHABLE_TYPES, MODES, Matcher, import_rows

__all__ = [
    "KIND",
    "MODES",
    "FileRefused",
    "import_summary",
    "match_choices",
    "preview",
    "preview_rows",
    "start_file_import",
    "store_upload",
    "targets",
]

KIND = "file_import"
SKIP = "skip"
TOKEN_RE = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")
SEGMENT_NAME_MAX = Segment._meta.get_field("name").max_length
# Standard fields a file may write (the identifiers are made by the product).
FILE_FIELDS = [f for f in STANDARD_FIELDS if f.editable and f.name != "database"]
# Header names people use for the standard fields, besides the names and labels.
SYNONYMS = {
    "mail": "email",
    "emailaddress": "email",
    "phone": "phones",
    "phonenumber": "phones",
    "mobile": "phones",
    "mobilephone": "phones",
    "telephone": "phones",
    "tel": "phones",
    "firstname": "first_name",
    "givenname": "first_name",
    "forename": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "middlename": "middle_name",
    "sex": "gender",
    "dateofbirth": "birthday",
    "birthdate": "birthday",
    "dob": "birthday",
    "lang": "language",
    "zip": "zip_code",
    "postcode": "zip_code",
    "postalcode": "zip_code",
    "tz": "timezone",
    "ipaddress": "ip",
}
MATCH_LABELS = {
    "email": "Email",
    "phone": "Phone",
    "email_or_phone": "Email, else phone",
    "profile_id": "Profile ID",
    "subscription_email": "A subscription's email",
    "subscription_phone": "A subscription's phone",
    "push_token": "A push subscription's device token",
}
REPORT_HEADER = ["row", "status", "profile_id", "errors"]
UPLOAD_KEPT_SECONDS = 24 * 3600


# -- The upload ----------------------------------------------------------------------------


def uploads_root():
    return files_root() / "uploads"


def store_upload(uploaded_file):
    """Keep an uploaded file for its import; return its token. Raise FileRefused when it
    is empty or over the size limit (nothing is kept then)."""
    limit = settings.IMPORT_MAX_FILE_BYTES
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise FileRefused(f"The file is over the limit of {limit // 1000**2} MB.")
    suffix = Path(uploaded_file.name or "").suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
    token = f"{uuid.uuid4().hex}{suffix}"
    path = uploads_root() / token
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with path.open("wb") as out:
        for piece in uploaded_file.chunks():
            size += len(piece)
            if size > limit:
                break
            out.write(piece)
    if size > limit or size == 0:
        path.unlink(missing_ok=True)
        if size == 0:
            raise FileRefused("The file is empty.")
        raise FileRefused(f"The file is over the limit of {limit // 1000**2} MB.")
    return token


def check_upload(token, *, header=True, name=""):
    """Open a stored upload as a table and read its header: FileRefused (its message naming
    the file as ``name``, the name it was uploaded under) when it is no file we read."""
    _table(token, header, name).header()


def upload_path(token):
    """The stored file of a token; FileRefused when the token names none."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise FileRefused("No such uploaded file.")
    path = uploads_root() / token
    if not path.is_file():
        raise FileRefused("The uploaded file is gone; upload it again.")
    return path


def discard_upload(token):
    """Remove an uploaded file nobody will import (its import was refused over the API)."""
    with contextlib.suppress(FileRefused):  # no such upload: nothing to remove
        upload_path(token).unlink(missing_ok=True)


def purge_uploads(now=None):
    """Remove uploads older than a day that no import is running on (a person who uploaded
    a file and left the mapping page); return how many. Periodic, on the worker."""
    limit = (now or time.time()) - UPLOAD_KEPT_SECONDS
    in_use = set(
        Job.objects.filter(kind=KIND, finished_at__isnull=True).values_list(
            "params__token", flat=True
        )
    )
    removed = 0
    for path in uploads_root().glob("*") if uploads_root().is_dir() else []:
        if path.name not in in_use and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _table(token, header, name=""):
    return open_table(upload_path(token), name=name or token, header=header)


# -- Targets and matching -------------------------------------------------------------------


def targets(database):
    """Every target a column may have: (value, label, group)."""
    choices = [(SKIP, "Skip this column", "")]
    choices += [(f.name, f.label, "Standard fields") for f in FILE_FIELDS]
    choices += [
        (f"fields.{f.name}", f.label or f.name, "Custom fields")
        for f in database.custom_fields.all()
    ]
    for resource in Resource.objects.prefetch_related("channels"):
        for channel in resource.channels.all():
            label = f"{resource.name}: {channel.name}"
            choices.append((f"subscription.{resource.pk}.{channel.slug}", label, "Subscriptions"))
    return choices


def match_choices(database):
    """The keys an import of ``database`` may match by: (value, label)."""
    choices = [(key, MATCH_LABELS[key]) for key in MATCH_KEYS]
    choices += [
        (f"field:{f.name}", f"Custom field: {f.label or f.name}")
        for f in database.custom_fields.all()
        if f.type in MATCHABLE_TYPES
    ]
    return choices


def _squash(text):
    return re.sub(r"[^a-z0-9]", "", text.lower())


def propose_mapping(database, columns):
    """Propose a target for each column from its name: a standard field (its name, label
    or a usual synonym), a custom field, a subscription target named as such, else skip."""
    known = {}
    for value, label, group in targets(database):
        if group == "Subscriptions":
            known.setdefault(value.lower(), value)
            continue
        name = value.removeprefix("fields.")
        known.setdefault(_squash(name), value)
        known.setdefault(_squash(label), value)
    for synonym, name in SYNONYMS.items():
        known.setdefault(synonym, name)
    proposed, taken = {}, set()
    for column in columns:
        target = known.get(column.strip().lower()) or known.get(_squash(column), SKIP)
        if target != SKIP and target in taken:
            target = SKIP
        taken.add(target)
        proposed[column] = target
    return proposed


def check_mapping(database, mapping, columns):
    """Return the mapping checked against the file's columns; raise ValidationError."""
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise ValidationError({"mapping": ["Enter an object mapping column names to targets."]})
    allowed = {value for value, _, _ in targets(database)}
    problems = []
    unknown_columns = [column for column in mapping if column not in columns]
    if unknown_columns:
        problems.append(f"The file has no column “{unknown_columns[0]}”.")
    for column, target in mapping.items():
        if target not in allowed:
            problems.append(f"Column “{column}”: unknown target “{target}”.")
    used = [target for target in mapping.values() if target != SKIP]
    repeated = sorted({target for target in used if used.count(target) > 1})
    if repeated:
        problems.append(f"Two columns go to “{repeated[0]}”; map each target once.")
    if not used:
        problems.append("Map at least one column to a field.")
    if problems:
        raise ValidationError({"mapping": problems})
    return {column: mapping.get(column, SKIP) for column in columns}


# -- Rows ------------------------------------------------------------------------------------


def row_reader(columns, mapping):
    """Return ``read(cells)``, which turns a file's row into an import row (as in POST
    profiles/), the columns' targets looked up once for all the rows: empty cells are
    left out (an empty cell changes nothing); ValueError for cells past the header."""
    width = len(columns)
    targets = []  # (position, where the cell goes, the name it goes under)
    for position, column in enumerate(columns):
        target = mapping.get(column, SKIP)
        if target.startswith("fields."):
            targets.append((position, "custom", target.removeprefix("fields.")))
        elif target.startswith("subscription."):
            _, resource, channel = target.split(".", 2)
            targets.append((position, "subscription", (int(resource), channel)))
        elif target != SKIP:
            targets.append((position, "standard", target))

    def read(cells):
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            raise ValueError(f"The row has {len(cells)} cells; the header has {width}.")
        row, custom, subscriptions = {}, {}, []
        count = len(cells)
        for position, kind, name in targets:
            if position >= count:
                break
            cell = cells[position]
            if not cell.strip():
                continue
            if kind == "standard":
                row[name] = cell
            elif kind == "custom":
                custom[name] = cell
            else:
                resource, channel = name
                subscriptions.append({"resource": resource, "channel": channel, "contact": cell})
        if custom:
            row["fields"] = custom
        if subscriptions:
            row["subscriptions"] = subscriptions
        return row

    return read


@dataclass
class Preview:
    columns: list
    proposed: dict
    sample: list
    total: int
    kind: str = ""
    encoding: str | None = None
    delimiter: str | None = None


def preview(database, token, *, header=True, rows=5, name=""):
    """The file's columns, the targets proposed for them and its first rows (raw)."""
    table = _table(token, header, name)
    columns = table.header()
    sample = []
    for cells in table.rows():
        sample.append(cells)
        if len(sample) >= rows:
            break
    return Preview(
        columns=columns,
        proposed=propose_mapping(database, columns) if header else dict.fromkeys(columns, SKIP),
        sample=sample,
        total=table.count(),
        kind=table.kind,
        encoding=table.encoding,
        delimiter=table.delimiter,
    )


@dataclass
class PreviewRow:
    number: int  # the data row, from 1
    status: str = ""  # what the import would do: created, updated, skipped, error
    values: dict = field(default_factory=dict)  # target -> value as it would be stored
    errors: dict = field(default_factory=dict)


def preview_rows(database, token, mapping, *, header=True, rows=5, mode="upsert", match="email"):
    """The first rows as the import would store them: imported in a transaction that is
    rolled back, each read back as it stands once written (normalised emails and phones,
    checked values), before a later row of the same profile changes it."""
    table = _table(token, header)
    columns = table.header()
    mapping = check_mapping(database, mapping, columns)
    try:
        matcher = Matcher.parse(database, match, mode)
    except ValueError as error:
        raise ValidationError({"match": [str(error)]}) from None
    previews, import_rows_, numbers = [], [], []
    read = row_reader(columns, mapping)
    for number, cells in enumerate(table.rows(), start=1):
        if number > rows:
            break
        try:
            import_rows_.append(read(cells))
            numbers.append(number)
        except ValueError as error:
            previews.append(PreviewRow(number, "error", errors={"row": [str(error)]}))
    with transaction.atomic():
        # A row at a time (a few rows): a file's rows of one key run in that order anyway.
        for index, (number, row) in enumerate(zip(numbers, import_rows_, strict=True)):
            [result] = import_rows(
                database, [row], matcher=matcher, mode=mode, source="file", first=index
            )
            profile = Profile.objects.filter(pk=result.pk).first() if result.pk else None
            values = _stored_values(profile, mapping) if profile is not None else {}
            previews.append(PreviewRow(number, result.status, values, result.errors))
        transaction.set_rollback(True)
    return sorted(previews, key=lambda preview_row: preview_row.number)


def _stored_values(profile, mapping):
    """The profile's values of the mapped targets, as a person reads them (a list of phones
    or tags as one line)."""
    values = {}
    for target in mapping.values():
        if target == SKIP or target.startswith("subscription."):
            continue
        if target.startswith("fields."):
            value = (profile.custom_values or {}).get(target.removeprefix("fields."))
        else:
            value = getattr(profile, target)
        values[target] = ", ".join(map(str, value)) if isinstance(value, list) else value
    return values


# -- The job -----------------------------------------------------------------------------------


def start_file_import(
    user,
    database,
    token,
    *,
    mapping,
    mode="upsert",
    match="email",
    header=True,
    detect_location=False,
    skip_triggers=False,
    segment_name="",
    name="",
    inline=False,
):
    """Check the import's parameters and queue it; return its job. A bad parameter is a
    ValidationError naming it, and nothing is queued."""
    errors = {}
    try:
        table = _table(token, header, name)
        columns = table.header()
    except FileRefused as error:
        raise ValidationError({"file": [str(error)]}) from None
    try:
        mapping = check_mapping(database, mapping, columns)
    except ValidationError as error:
        errors |= error.message_dict
    if mode not in MODES:
        errors["mode"] = [f"Choose one of: {', '.join(MODES)}."]
    else:
        try:
            Matcher.parse(database, match, mode)
        except ValueError as error:
            errors["match"] = [str(error)]
    segment_name = (segment_name or "").strip()
    if len(segment_name) > SEGMENT_NAME_MAX:
        errors["segment_name"] = [f"Ensure this has at most {SEGMENT_NAME_MAX} characters."]
    if errors:
        raise ValidationError(errors)
    segment = Segment.objects.create(name=segment_name, database=database) if segment_name else None
    params = {
        "token": token,
        "name": name or token,
        "mapping": mapping,
        "columns": columns,
        "mode": mode,
        "match": match,
        "header": bool(header),
        "detect_location": bool(detect_location),
        "skip_triggers": bool(skip_triggers),
        "segment_name": segment_name,
        "segment_id": segment.pk if segment else None,
    }
    return runner.start(KIND, user=user, database=database, params=params, inline=inline)


COUNTS = ("created", "updated", "skipped", "errors")


def step(job):
    """Import the next chunk of the file's rows and append their lines to the report."""
    params = job.params
    table = _table(params["token"], params["header"], params["name"])
    report = job.file_path("csv")
    position, total = job.position, None
    if position is None:  # the first chunk: a fresh report with its header
        total = table.count()
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_bytes(_csv_bytes([REPORT_HEADER]))
        position = {"row": 0, "bytes": report.stat().st_size} | dict.fromkeys(COUNTS, 0)
    rows = _rows_from(job, table, position["row"])
    chunk_rows = list(itertools.islice(rows, settings.IMPORT_CHUNK_ROWS))
    lines, messages, counts = _import_chunk(job, position["row"], chunk_rows)
    with report.open("r+b") as out:
        out.truncate(position["bytes"])  # lines of a chunk that did not commit go
        out.seek(position["bytes"])
        out.write(_csv_bytes(lines))
        size = out.tell()
    position = {
        "row": position["row"] + len(chunk_rows),
        "bytes": size,
        **{key: position[key] + counts[key] for key in COUNTS},
    }
    last = len(chunk_rows) < settings.IMPORT_CHUNK_ROWS
    _reading.clear()
    if not last:
        _reading[job.pk, params["token"]] = (position["row"], rows)
    result = None
    if last:
        result = {
            "file": report.name,
            "format": "csv",
            "rows": position["row"],
            **{key: position[key] for key in COUNTS},
            "segment_id": params.get("segment_id"),
        }
        upload_path(params["token"]).unlink(missing_ok=True)
    return Chunk(
        position, done=len(chunk_rows), errors=messages, total=total, last=last, result=result
    )


# The file's rows of the import this process ran a chunk of last, read up to where that
# chunk ended: {(job pk, upload token): (next row number, iterator)}. Reading from row N
# again re-reads the N rows before it: 100,000 rows by chunks of 5,000 read a million.
_reading = {}


def _rows_from(job, table, start):
    """The table's rows from row number ``start``: where the previous chunk of the job in
    this process stopped reading, else read again from the start (another process ran it,
    or the chunk did not commit and is run again)."""
    held = _reading.pop((job.pk, job.params["token"]), None)
    if held is not None and held[0] == start:
        return held[1]
    return table.rows(start=start)


def _import_chunk(job, first, chunk_rows):
    """Import one chunk; return its report lines, error messages and counts."""
    params = job.params
    columns, mapping = params["columns"], params["mapping"]
    matcher = Matcher.parse(job.database, params["match"], params["mode"])
    rows, numbers, refused = [], [], {}
    read = row_reader(columns, mapping)
    for offset, cells in enumerate(chunk_rows):
        number = first + offset + 1
        try:
            rows.append(read(cells))
            numbers.append(number)
        except ValueError as error:
            refused[number] = {"row": [str(error)]}
    with acting(job.created_by, "import"):
        results = import_rows(
            job.database,
            rows,
            matcher=matcher,
            mode=params["mode"],
            source="file",
            detect_location=params["detect_location"],
        )
    outcome = {number: ("error", None, errors) for number, errors in refused.items()}
    for number, result in zip(numbers, results, strict=True):
        outcome[number] = (result.status, result.profile_id, result.errors)
    if params.get("segment_id"):
        _add_to_segment(params["segment_id"], [r.pk for r in results if r.pk is not None])
    lines, messages = [], []
    counts = dict.fromkeys(COUNTS, 0)
    names = column_names(columns, mapping)
    for number in sorted(outcome):
        status, profile_id, errors = outcome[number]
        text = error_text(errors, names=names)
        lines.append([number, status, profile_id or "", neutralise(text)])
        counts["errors" if status == "error" else status] += 1
        if status == "error":
            messages.append(f"Row {number}: {text}")
    return lines, messages, counts


def column_names(columns, mapping):
    """{target: the file's column(s) mapped to it}, as a person knows them ("E-mail")."""
    names = {}
    for column in columns:
        target = mapping.get(column, SKIP)
        if target != SKIP:
            names[target] = f"{names[target]} / {column}" if target in names else column
    return names


def error_text(errors, prefix="", names=None):
    """Errors as one line, each field by its column's name in the file where ``names``
    ({target: column}) has it: "E-mail: Enter a valid email address.; Plan: …"."""
    names = names or {}
    parts = []
    for key, value in (errors or {}).items():
        name = f"{prefix}{key}" if key != "non_field_errors" else prefix.rstrip(".")
        if isinstance(value, dict):
            parts.append(error_text(value, f"{name}.", names))
        else:
            shown = names.get(name, name)
            label = f"{shown}: " if shown else ""
            parts.extend(f"{label}{message}" for message in value)
    return "; ".join(part for part in parts if part)


def _add_to_segment(segment_id, pks):
    """Put the chunk's imported profiles in the import's segment (each entry recorded once)."""
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None or not pks:
        return
    pks = list(dict.fromkeys(pks))
    members = set(
        SegmentMembership.objects.filter(segment=segment, profile_id__in=pks).values_list(
            "profile_id", flat=True
        )
    )
    new = [pk for pk in pks if pk not in members]
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment=segment, profile_id=pk) for pk in new], batch_size=2000
    )
    now = timezone.now()
    data = {"segment": segment.pk, "name": segment.name}
    Event.objects.bulk_create(
        [Event(profile_id=pk, type="segment_entered", data=data, occurred_at=now) for pk in new],
        batch_size=2000,
    )


def _csv_bytes(rows):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


def import_summary(job):
    """What the API and the pages show of a file import."""
    position = job.result or job.position or {}
    return {
        "status": job.status,
        "total": job.total or 0,
        "processed": job.done,
        **{key: position.get(key, 0) for key in COUNTS},
    }


FILE_IMPORT = register(JobKind(KIND, "Profile import", step, permission="profiles.add_profile"))
