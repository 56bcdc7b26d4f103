"""What can go wrong with an import file or request, one small class per failure.

Each carries its HTTP status and rule (see ``layers.errors.GridcityError``); a message says what
was wrong, where (file part, row, field) and how to fix it. These refuse a whole file; row-level
problems go to the error report instead (``importers.report``).
"""

from __future__ import annotations

from layers.errors import GridcityError


class UnreadableFile(GridcityError):
    """Not a file the readers can open: corrupt zip, missing .shp/.dbf/.shx, unknown extension, empty."""

    status = 400
    rule = "readable_file"


class UnknownEncoding(GridcityError):
    """Attribute text that is neither the declared nor a detectable encoding (UTF-8, GBK/GB18030)."""

    status = 400
    rule = "encoding"


class MissingCRS(GridcityError):
    """The file names no CRS (no .prj, none in the GeoPackage) and none was given with ``--crs``."""

    status = 400
    rule = "crs_required"


class UnsupportedCRS(GridcityError):
    status = 400
    rule = "supported_crs"


class CoordinateRange(GridcityError):
    """A coordinate impossible in the named CRS (swapped lat/lon, projected numbers under 4490 …)."""

    status = 400
    rule = "coordinate_range"


class BadMapping(GridcityError):
    """A mapping file that cannot be used, or a file lacking a mandatory column."""

    status = 400
    rule = "mapping"


class FileTooLarge(GridcityError):
    status = 413
    rule = "size_limit"


class ImportBusy(GridcityError):
    """Another import of the same layer holds its lock (imports of one layer never interleave)."""

    status = 409
    rule = "one_import_per_layer"


class ConcurrentEdit(GridcityError):
    """A feature with one of the file's codes was created by another user while the import ran:
    the import is rolled back (nothing written) and can simply be run again."""

    status = 409
    rule = "concurrent_edit"


class JobNotFound(GridcityError):
    status = 404
    rule = "exists"


class NoQAReport(GridcityError):
    """An import that computed no QA report (it was not asked for, or the job has not finished)."""

    status = 404
    rule = "qa_report"


class ArchiveTooLarge(GridcityError):
    """A zip archive (zipped shapefile, XLSX) whose members would inflate beyond the limits: a zip bomb
    or a file to split."""

    status = 413
    rule = "archive_size"
