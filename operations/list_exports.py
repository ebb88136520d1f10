"""Exporting the profiles of a database, filtered as the list is, to CSV or XLSX, as a job.

The worker writes the file chunk by chunk, in the order of the profiles' ids: each chunk
appends its rows and commits the job's position (the last id written and the file's size
then). A worker killed mid-chunk leaves rows the next one cuts off before it appends again,
so a resumed export is the file an uninterrupted one gives. An XLSX is made from the
finished CSV at the end. Every cell a spreadsheet would read as a formula is neutralised.
"""

import csv
import io

from django.conf import settings
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from core.db_routing import replica_reads
from core.fieldtypes import input_value
from core.status import Status
from core.text import neutralise
from jobs import runner
from jobs.kinds import Chunk, JobKind, register
from profiles.fields import STANDARD_FIELDS
from profiles.filters import ProfileFilter
from profiles.models import Profile

KIND = "export"
FORMATS = ("csv", "xlsx")
SEARCH_MAX_LENGTH = 200
SELECTION_MAX = 1000  # profiles a selection of the list names
# The standard fields an export leaves out: the database is the export's, the avatar a file.
LEFT_OUT = {"database", "avatar"}


def start_export(
    user, database, *, search="", status=(), fmt="csv", inline=False, profile_ids=None
):
    """Queue an export of ``database``'s profiles matching ``search`` and any of the
    ``status`` values, as the list filters them (or those of ``profile_ids``, the list's
    selection); return its job. Bad parameters are a ValidationError naming each, and
    nothing is queued.

    ``inline=None`` runs a small export (at most ``settings.EXPORT_INLINE_ROWS`` profiles)
    at once, in the caller, so a person gets the file in the same click; a larger one goes
    to the worker."""
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = [f"Choose one of: {', '.join(FORMATS)}."]
    if len(search) > SEARCH_MAX_LENGTH:
        errors["search"] = [f"Ensure this has at most {SEARCH_MAX_LENGTH} characters."]
    unknown = [value for value in status if value not in Status.values]
    if unknown:
        errors["status"] = [
            f"Unknown status {unknown[0]!r}: choose from {', '.join(Status.values)}."
        ]
    if errors:
        raise ValidationError(errors)
    params = {"search": search.strip(), "status": list(dict.fromkeys(status)), "format": fmt}
    if profile_ids is not None:
        params["profile_ids"] = [str(value) for value in profile_ids][:SELECTION_MAX]
    if inline is None:
        limit = settings.EXPORT_INLINE_ROWS
        inline = _selected(database, params)[: limit + 1].count() <= limit
    return runner.start(KIND, user=user, database=database, params=params, inline=inline)


def standard_columns():
    return [field.name for field in STANDARD_FIELDS if field.name not in LEFT_OUT]


def columns(database):
    """The header: standard field names, then ``fields.<name>`` for each custom field."""
    custom = [f"fields.{field.name}" for field in database.custom_fields.all()]
    return [*standard_columns(), *custom]


def exported_profiles(job):
    """The profiles the export takes: the job's database, filtered as the list is."""
    return _selected(job.database, job.params)


def _selected(database, params):
    profiles = Profile.objects.filter(database=database)
    if params.get("profile_ids") is not None:
        profiles = profiles.filter(profile_id__in=params["profile_ids"])
    data = {key: params[key] for key in ("search", "status") if params.get(key)}
    return ProfileFilter(data, queryset=profiles).qs


def file_path(job, fmt="csv"):
    return job.file_path(fmt)


def row(profile, names, custom):
    values = [getattr(profile, name) for name in names]
    values += [(profile.custom_values or {}).get(name) for name in custom]
    return [neutralise(_cell(value)) for value in values]


def _cell(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return input_value(value)


def step(job):
    """Write the next chunk of rows; the last chunk also makes the XLSX if asked. The rows
    are read from a read replica when there is one that holds the job already (and with it
    all that was written before the export was asked for)."""
    with replica_reads(after=job):
        return _step(job)


def _step(job):
    path = file_path(job)
    position, total = job.position, None
    names = standard_columns()
    custom = [field.name for field in job.database.custom_fields.all()]
    if position is None:  # the first chunk: a fresh file with its header
        total = exported_profiles(job).count()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_csv_bytes([columns(job.database)]))
        position = {"after": 0, "bytes": path.stat().st_size}
    profiles = list(
        exported_profiles(job)
        .filter(pk__gt=position["after"])
        .order_by("pk")[: settings.EXPORT_CHUNK_ROWS]
    )
    with path.open("r+b") as out:
        out.truncate(position["bytes"])  # rows of a chunk that did not commit go
        out.seek(position["bytes"])
        out.write(_csv_bytes(row(profile, names, custom) for profile in profiles))
        out.flush()
        size = out.tell()
    after = profiles[-1].pk if profiles else position["after"]
    last = len(profiles) < settings.EXPORT_CHUNK_ROWS
    result = None
    if last:
        fmt = job.params.get("format", "csv")
        if fmt == "xlsx":
            _to_xlsx(path, file_path(job, "xlsx"))
        result = {"format": fmt, "rows": job.done + len(profiles), "file": file_path(job, fmt).name}
    return Chunk(
        {"after": after, "bytes": size}, done=len(profiles), total=total, last=last, result=result
    )


def _csv_bytes(rows):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


def _to_xlsx(source, target):
    """Write the finished CSV again as an XLSX (streamed: any size fits in memory)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Profiles")
    with source.open(newline="") as rows:
        for values in csv.reader(rows):
            sheet.append(values)
    workbook.save(target)


EXPORT = register(JobKind(KIND, "Profile export", step, permission="profiles.export_profile"))
