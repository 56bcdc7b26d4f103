"""``POST /api/imports/`` (multipart upload → a job queued for a worker, never run in the request) and
``GET /api/imports/{id}/`` (status, progress, summary, error report); ``GET /api/imports/{id}/errors.csv``
for a spreadsheet and, for an import run with ``qa``, ``GET /api/imports/{id}/qa.html``: the QA report as
a page to read (its cells are on the map as the ``qa_cells`` layer, run ``import-{id}``)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.access import check_edit
from layers.errors import BadParameter
from layers.roles import ADMIN
from layers.spreadsheets import safe_rows

from . import jobs, kinds, uploads
from .errors import FileTooLarge, JobNotFound, NoQAReport
from .models import ImportJob
from .qa import QAReport
from .readers import FORMATS, text_encoding
from .report import COLUMNS, qa_html
from .serializers import ImportUpload

OPTION_FIELDS = ("crs", "encoding", "layer")
FLAGS = ("dry_run", "retire_missing", "qa")


def max_bytes() -> int:
    return int(getattr(settings, "GRIDCITY_IMPORT_MAX_BYTES", os.environ.get("GRIDCITY_IMPORT_MAX_BYTES",
                                                                              str(500 * 1024 * 1024))))


def describe(job: ImportJob) -> dict[str, object]:
    body = {"id": job.id, "kind": job.kind, "file": job.file_name, "status": job.status,
            "progress": {"rows_done": job.rows_done, "rows_total": job.rows_total},
            "summary": job.summary, "errors": job.report, "failure": job.error,
            "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
            "url": f"/api/imports/{job.id}/", "errors_csv": f"/api/imports/{job.id}/errors.csv"}
    if _qa(job) is not None:
        body["qa_html"] = f"/api/imports/{job.id}/qa.html"
    return body


def _qa(job: ImportJob) -> dict | None:
    """The QA report a finished job stored in its summary, if it computed one."""
    qa = (job.summary or {}).get("qa")
    return qa if isinstance(qa, dict) else None


class ImportList(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": ImportUpload}, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        """Upload a file (field ``file``) with ``kind`` and options; returns the queued job (202)."""
        limit = max_bytes()
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 1024 * 1024:
            raise FileTooLarge(f"the upload exceeds the import size limit of {limit:,} bytes", field="file")
        kind = kinds.get(str(request.data.get("kind", "")))
        check_edit(kind.layer, request.user)
        upload = request.FILES.get("file")
        if upload is None:
            raise BadParameter("send the file as multipart field 'file'", field="file", rule="required")
        if upload.size > limit:
            raise FileTooLarge(f"{upload.name} has {upload.size:,} bytes; the import size limit is {limit:,}",
                               field="file")
        suffix = Path(upload.name).suffix.lower()
        if suffix not in FORMATS:
            raise BadParameter(f"{upload.name}: unknown format; use one of {', '.join(sorted(FORMATS))}",
                               field="file", rule="format")
        options: dict[str, object] = {k: str(request.data[k]) for k in OPTION_FIELDS if request.data.get(k)}
        if "encoding" in options:
            text_encoding(str(options["encoding"]))
        options.update({k: str(request.data.get(k, "")).lower() in ("1", "true", "yes", "on") for k in FLAGS})
        if request.FILES.get("mapping") is not None:
            mapping = request.FILES["mapping"]
            options["mapping"] = str(uploads.save(mapping, Path(mapping.name).suffix.lower() or ".json"))
        if request.data.get("expected"):
            options["expected"] = params_int(request.data["expected"], "expected")
        with transaction.atomic():
            job = ImportJob.objects.create(kind=kind.name, file_name=upload.name,
                                           path=str(uploads.save(upload, suffix)), options=options, user=request.user)
            jobs.submit(job)
        return Response(describe(job), status=202)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        """This user's imports (an admin sees everyone's), newest first."""
        return Response({"imports": [describe(j) for j in _visible(request)[:50]]})


def params_int(value: object, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise BadParameter(f"{name} must be a whole number, got {value!r}", field=name) from None


def _visible(request: Request):
    rows = ImportJob.objects.all()
    return rows if request.user.role == ADMIN else rows.filter(user=request.user)


def _job(request: Request, pk: int) -> ImportJob:
    job = _visible(request).filter(pk=pk).first()
    if job is None:
        raise JobNotFound(f"no import {pk} of yours", field="id")
    return job


class ImportDetail(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(describe(_job(request, pk)))


class ImportErrorsCsv(APIView):
    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, pk: int) -> HttpResponse:
        job = _job(request, pk)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(safe_rows([e[c] for c in COLUMNS] for e in job.report or []))
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.id}-errors.csv"'
        return response


class ImportQAPage(APIView):
    @extend_schema(responses={(200, "text/html"): OpenApiTypes.STR})
    def get(self, request: Request, pk: int) -> HttpResponse:
        job = _job(request, pk)
        qa = _qa(job)
        if qa is None:
            raise NoQAReport(f"import {pk} has no QA report: it is {job.status}" if (job.options or {}).get("qa")
                             else f"import {pk} ran without QA; upload with qa=true to get a QA report", field="qa")
        page = qa_html(job.file_name, job.kind, QAReport.from_json(qa, job.kind))
        return HttpResponse(page, content_type="text/html; charset=utf-8")
