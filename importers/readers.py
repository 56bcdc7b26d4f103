"""One reader per file format behind one small interface: open a file, get its columns, CRS and
row count, then stream it in batches (memory stays flat with file size).

- zipped Shapefile (or a bare ``.shp`` with its siblings), GeoPackage, GeoJSON: read by GDAL
  through pyogrio; a Shapefile's encoding comes from its ``.cpg``, else from ``--encoding``, else
  it is detected (UTF-8, or GB18030, the superset of GBK that most Chinese shapefiles use);
- CSV and XLSX with coordinate columns (or a WKT column): csv / openpyxl (read-only, streamed).

A :class:`Batch` carries the rows' 1-based numbers as the user sees them (feature order for
GIS files; the spreadsheet row, header = 1, for CSV/XLSX), the raw column values and, for GIS
files, the geometries in the file's CRS; for a shapefile each row's digest as stored
(``importers.shapefile``) and, for shapefiles and GeoPackages, each feature's id, by which a
re-import reads its few changed rows back (:meth:`OGRSource.features`).
"""

from __future__ import annotations

import builtins
import codecs
import csv
import datetime as dt
import queue
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from . import archives
from . import crs as crsmod
from .errors import ArchiveTooLarge, UnknownEncoding, UnreadableFile
from .shapefile import Opener, ShapefileRecords

BATCH_ROWS = 20_000
# Feature ids per GDAL read by id: GDAL's own SQL dialect (shapefiles, GeoJSON) takes at most 4,997.
FID_CHUNK = 4_000
_CHUNK = 1 << 20
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf")


class Batch:
    """Rows of a file: their 1-based numbers, raw cells by header and (GIS files) geometries.

    A GIS file's batch holds GDAL's Arrow columns and turns them into Python values and shapely
    geometries only when asked (:attr:`columns`, :meth:`column`, :attr:`geoms`): rows recognised
    unchanged by their digest (``importers.digests``) are never converted.
    """

    def __init__(self, rows: np.ndarray, columns: dict[str, list] | None = None, *,
                 arrow: dict[str, pa.Array] | None = None, wkb: pa.Array | None = None,
                 digests: np.ndarray | None = None, fids: np.ndarray | None = None, text_encoding: str | None = None):
        self.rows = rows
        self.arrow = arrow
        # The encoding of Arrow text columns holding a shapefile's bytes as stored (see OGRSource).
        self.text_encoding = text_encoding
        self.wkb = wkb
        # Each row's digest as stored in the file (shapefiles: ``importers.shapefile``), if the reader has it.
        self.digests = digests
        # Each row's feature id in the file (GDAL's FID), by which :meth:`OGRSource.features` reads it again.
        self.fids = fids
        self._columns = columns if columns is not None else {}
        self._geoms: np.ndarray | None = None

    @property
    def headers(self) -> list[str]:
        return list(self.arrow) if self.arrow is not None else list(self._columns)

    def column(self, header: str) -> list:
        """One column's raw cells as Python values."""
        if header not in self._columns and self.arrow is not None:
            self._columns[header] = _arrow_values(self.arrow[header], self.text_encoding)
        return self._columns[header]

    def text_codes(self, header: str) -> tuple[np.ndarray, list[str]] | None:
        """A GIS file's text column factorized without a Python value per cell: each row's code
        (-1 for an empty cell) and the distinct texts; ``None`` for other columns (then
        :meth:`column`)."""
        if self.arrow is None or header in self._columns:
            return None
        return _arrow_text_codes(self.arrow[header], self.text_encoding)

    @property
    def columns(self) -> dict[str, list]:
        return {h: self.column(h) for h in self.headers}

    @property
    def geoms(self) -> np.ndarray | None:
        """The geometries in the file's CRS, 2D (``None`` for tables: positions are in their columns)."""
        if self._geoms is None and self.wkb is not None:
            self._geoms = force_2d(shapely.from_wkb(self.wkb.to_numpy(zero_copy_only=False)))
        return self._geoms

    def slice(self, start: int, stop: int) -> Batch:
        """Rows ``start`` to ``stop`` (0-based, ``stop`` excluded), without copying the file's
        columns (Arrow slices)."""
        return self._part(slice(start, stop), lambda column: column.slice(start, stop - start))

    def take(self, keep: np.ndarray) -> Batch:
        """The rows where ``keep`` is true."""
        index = np.flatnonzero(keep)
        at = pa.array(index)
        return self._part(index, lambda column: column.take(at))

    def _part(self, index: builtins.slice | np.ndarray, arrow_part: Callable[[pa.Array], pa.Array]) -> Batch:
        """The rows ``index`` (a slice or positions), Arrow columns by ``arrow_part``; their
        geometries as parsed already, if they were."""
        digests = None if self.digests is None else self.digests[index]
        fids = None if self.fids is None else self.fids[index]
        if self.arrow is None:
            pick = (lambda values: values[index]) if isinstance(index, slice) else (
                lambda values: [values[i] for i in index])
            return Batch(self.rows[index], {h: pick(v) for h, v in self._columns.items()}, digests=digests, fids=fids)
        part = Batch(self.rows[index], arrow={h: arrow_part(c) for h, c in self.arrow.items()},
                     wkb=None if self.wkb is None else arrow_part(self.wkb), digests=digests, fids=fids,
                     text_encoding=self.text_encoding)
        if self._geoms is not None:
            part._geoms = self._geoms[index]
        return part


def force_2d(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` without their Z (the layers are 2D); ``shapely.force_2d``, which copies every
    geometry, only when one has a Z."""
    return shapely.force_2d(geoms) if shapely.has_z(geoms).any() else geoms


@contextmanager
def read_ahead(batches: Iterator[Batch], depth: int = 2) -> Iterator[Iterator[Batch]]:
    """``batches``, read on a thread of their own up to ``depth`` batches ahead, their geometries
    parsed there: GDAL's reading, the shapefile's records and GEOS's parsing release the GIL, so
    they run while the importing thread converts and stages the batch before. An error on the
    thread is raised where the batch it stopped would have
    come. Leaving the block, however early, stops the thread before the file can be closed."""
    handed: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(item: Batch | BaseException | None) -> None:
        while not stop.is_set():
            try:
                handed.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for batch in batches:
                batch.geoms  # noqa: B018 (parsed here, off the importing thread)
                hand(batch)
                if stop.is_set():
                    return
            hand(None)
        except BaseException as exc:  # handed to the importing thread, which raises it
            hand(exc)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()  # a generator's own cleanup (its GDAL stream) runs on the thread that read it

    def taken() -> Iterator[Batch]:
        while (item := handed.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    reader = threading.Thread(target=produce, name="gridcity-import-reader", daemon=True)
    reader.start()
    try:
        yield taken()
    finally:
        stop.set()
        reader.join()


class Source(Protocol):
    """An opened import file (read-only members: a reader may narrow them, e.g. ``count: int``)."""

    @property
    def columns(self) -> list[str]: ...

    @property
    def crs(self) -> crsmod.SourceCRS | None:
        """The CRS the file states, if any."""

    @property
    def count(self) -> int | None:
        """The number of features, when known before reading (GIS files)."""

    @property
    def has_geometry(self) -> bool: ...

    @property
    def encoding(self) -> str | None: ...

    def batches(self, size: int = BATCH_ROWS) -> Iterator[Batch]: ...

    def match_batches(self, headers: list[str], size: int = BATCH_ROWS) -> Iterator[Batch]:
        """Batches for matching digests only: rows as :meth:`batches` gives them, with at least
        their digests (when the reader has its own), feature ids (if any) and the ``headers``' cells."""

    def features(self, fids: np.ndarray, rows: np.ndarray) -> Iterator[Batch]:
        """The features whose ids (:attr:`Batch.fids`) are ``fids``, numbered ``rows``; only for a
        source whose batches carry feature ids."""

    def close(self) -> None: ...


def _detect(name: str, opener: Opener, offset: int, padding: bytes) -> str:
    """``utf-8`` if every byte from ``offset`` decodes as UTF-8, else ``gb18030`` if that decodes."""
    for encoding in ("utf-8", "gb18030"):
        if _decodes(opener, encoding, offset, padding):
            return encoding
    raise UnknownEncoding(f"{name}: the text is neither UTF-8 nor GBK/GB18030; give --encoding", field="encoding")


def _decodes(opener: Opener, encoding: str, offset: int = 0, padding: bytes = b"") -> bool:
    """Whether the bytes from ``offset`` on decode, the ``padding`` bytes left out. A .dbf is mostly
    the spaces padding its fields, and no multibyte character of UTF-8 or GB18030 contains byte
    0x20, so an undecodable text stays undecodable without them — but for a lone lead byte right
    before a field's padding (a cell a writer cut inside a character), which goes unnoticed as one
    right before the next field's text would; GDAL reads such a cell without it."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with opener() as fh:
        fh.read(offset)
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk.translate(None, padding) if padding else chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


# The text encodings a file may be declared in (Python codec names, aliases accepted): Unicode, the
# Chinese national ones and the Western fallbacks GIS tools write; never a codec such as rot13 or zlib.
TEXT_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk", "gb2312", "big5",
                  "big5hkscs", "ascii", "latin-1", "cp1252")


def text_encoding(name: str) -> str:
    """``name`` if it names one of TEXT_ENCODINGS (an alias such as ``GBK`` or ``utf8`` too), else 400."""
    try:
        canonical = codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: a name with a NUL
        canonical = ""
    if canonical not in {codecs.lookup(e).name for e in TEXT_ENCODINGS}:
        raise UnknownEncoding(f"unknown text encoding {name!r}; use one of {', '.join(TEXT_ENCODINGS)}",
                              field="encoding")
    return name


def _check_encoding(path: Path, encoding: str | None, offset: int = 0) -> str:
    """The encoding to read ``path`` with: the named one (verified) or a detected one."""
    return _checked(path.name, _file_opener(path), encoding, offset)


def _checked(name: str, opener: Opener, encoding: str | None, offset: int, padding: bytes = b"") -> str:
    if encoding is None:
        return _detect(name, opener, offset, padding)
    encoding = text_encoding(encoding)
    if not _decodes(opener, encoding, offset, padding):
        hint = next((e for e in ("utf-8", "gb18030") if e != encoding and _decodes(opener, e, offset, padding)),
                    None)
        raise UnknownEncoding(
            f"{name} is not valid {encoding}" + (f"; it reads as {hint} (try --encoding {hint})" if hint else ""),
            field="encoding")
    return encoding


class OGRSource:
    """A Shapefile, GeoPackage or GeoJSON layer read through pyogrio (GDAL)."""

    has_geometry = True

    def __init__(self, path: Path | str, layer: str | None, encoding: str | None, keep: object = None,
                 name: str | None = None, records: ShapefileRecords | None = None):
        self.path, self.encoding, self._keep, self.records = path, encoding, keep, records
        self.name = name or Path(path).name
        suffix = Path(str(path)).suffix.lower()
        # Drivers that read a feature by id without scanning the file: only their batches carry ids.
        self._by_id = suffix in (".shp", ".gpkg")
        # A shapefile not in UTF-8 (its encoding checked over the whole .dbf before): GDAL gives its
        # text as stored and it is decoded per distinct value (:func:`_arrow_values`); GDAL's own
        # recoding, per cell through iconv, is most of the time of reading a GBK census.
        self._stored_text = (encoding if suffix == ".shp" and encoding is not None
                             and codecs.lookup(encoding).name != "utf-8" else None)
        try:
            layers = [str(found) for found, _ in pyogrio.list_layers(path)]
        except Exception as exc:  # GDAL raises its own DataSourceError family
            raise UnreadableFile(f"{self.name} cannot be opened by GDAL: {exc}", field="file") from None
        if layer is None and len(layers) != 1:
            raise UnreadableFile(f"{self.name} holds {len(layers)} layers ({', '.join(layers) or 'none'}); "
                                 "name one with --layer", field="layer")
        if layer is not None and layer not in layers:
            raise UnreadableFile(f"{self.name} has no layer {layer!r}; layers: {', '.join(layers)}", field="layer")
        self.layer = layer or layers[0]
        try:
            info = pyogrio.read_info(path, layer=self.layer, encoding=encoding, force_feature_count=True)
        except Exception as exc:
            raise UnreadableFile(f"{self.name}: {exc}", field="file") from None
        if info.get("geometry_type") is None:
            raise UnreadableFile(f"{self.name}: layer {self.layer!r} has no geometry column; import a table of "
                                 "coordinates as CSV or XLSX (经度/纬度 or X坐标/Y坐标 columns)", field="file",
                                 rule="geometry_column")
        self.columns = [str(c) for c in info["fields"]]
        self.count = int(info["features"])
        if self.count <= 0:
            raise UnreadableFile(f"{self.name} has no features", field="file", rule="not_empty")
        self.crs = crsmod.from_wkt(info["crs"], self.name) if info.get("crs") else None

    def batches(self, size: int = BATCH_ROWS) -> Iterator[Batch]:
        """One pass over the layer through GDAL's Arrow stream (columnar: no per-cell objects in GDAL);
        a shapefile's records are read alongside for their digests."""
        start = 0
        stream = self.records.stream() if self.records is not None else None
        try:
            with self._arrow(batch_size=size) as (_, reader):
                for table in reader:
                    rows = np.arange(start + 1, start + 1 + table.num_rows)
                    digests = None
                    if stream is not None:
                        digests = stream.take(table.num_rows).digests
                        if len(digests) != table.num_rows:
                            raise UnreadableFile(f"{self.name}: GDAL reads more features than the .dbf has "
                                                 f"records (from row {start + 1 + len(digests)})", field="file")
                    yield self._batch(table, rows, digests)
                    start += table.num_rows
            if stream is not None and len(stream.take(1)):
                raise UnreadableFile(f"{self.name}: GDAL reads fewer features than the .dbf has records "
                                     f"(stops after row {start})", field="file")
        except UnreadableFile:
            raise
        except Exception as exc:
            raise UnreadableFile(f"{self.name}: reading features from {start + 1} failed: {exc}",
                                 field="file") from None
        finally:
            if stream is not None:
                stream.close()

    def _arrow(self, **options: object) -> Any:
        """GDAL's Arrow stream of the layer, each table starting with the features' ids."""
        if self._stored_text is not None:
            options["ENCODING"] = ""  # the shapefile driver's open option: no recoding
        encoding = None if self._stored_text else self.encoding
        return pyogrio.raw.open_arrow(self.path, layer=self.layer, encoding=encoding, use_pyarrow=True,
                                      return_fids=True, **options)

    def _batch(self, table: pa.Table, rows: np.ndarray, digests: np.ndarray | None) -> Batch:
        # By position: the ids come first, then the fields in order (a field may share the ids' name),
        # then the geometry. Named anew first: GDAL's names of stored text are not UTF-8.
        columns = table.rename_columns(["fid", *self.columns, "geometry"]).columns
        return Batch(rows, arrow={c: columns[1 + i] for i, c in enumerate(self.columns)},
                     wkb=columns[-1], digests=digests, fids=columns[0].to_numpy() if self._by_id else None,
                     text_encoding=self._stored_text)

    def features(self, fids: np.ndarray, rows: np.ndarray) -> Iterator[Batch]:
        """The features ``fids`` (ascending), numbered ``rows``, read by id ``FID_CHUNK`` at a time:
        a re-survey's few changed rows without another pass over the file."""
        for at in range(0, len(fids), FID_CHUNK):
            wanted, numbers = fids[at:at + FID_CHUNK], rows[at:at + FID_CHUNK]
            got = 0
            try:
                with self._arrow(fids=wanted) as (_, reader):
                    for table in reader:
                        found = table.column(0).to_numpy()
                        where = np.searchsorted(wanted, found).clip(max=len(wanted) - 1)
                        if not np.array_equal(wanted[where], found):
                            raise UnreadableFile(f"{self.name}: GDAL returned a feature id not asked for",
                                                 field="file")
                        got += table.num_rows
                        yield self._batch(table, numbers[where], None)
            except UnreadableFile:
                raise
            except Exception as exc:
                raise UnreadableFile(f"{self.name}: reading features from {int(numbers.min())} failed: {exc}",
                                     field="file") from None
            if got != len(wanted):
                raise UnreadableFile(f"{self.name}: GDAL returned {got} of {len(wanted)} features read by id",
                                     field="file")

    def match_batches(self, headers: list[str], size: int = BATCH_ROWS) -> Iterator[Batch]:
        """A shapefile's records read as stored when the ``headers`` are text fields (GDAL decodes
        nothing); otherwise :meth:`batches`."""
        positions = [self.columns.index(h) for h in headers]
        if self.records is None or not self.records.character_fields(positions):
            yield from self.batches(size)
            return
        stream = self.records.stream(positions)
        try:
            start = 0
            while len(taken := stream.take(size)):
                rows = np.arange(start + 1, start + 1 + len(taken))
                yield Batch(rows, {h: taken.cells[p] for h, p in zip(headers, positions, strict=True)},
                            digests=taken.digests, fids=taken.fids)
                start += len(taken)
        finally:
            stream.close()

    def close(self) -> None:
        if hasattr(self._keep, "cleanup"):
            self._keep.cleanup()


def _open_shapefile(shp: Path, encoding: str | None, digests: bool, keep: object = None) -> OGRSource:
    parts = {ext: found for ext in SHAPEFILE_PARTS if (found := _sibling(shp, ext)) is not None}
    missing = [shp.with_suffix(ext).name for ext in SHAPEFILE_PARTS if ext not in parts]
    if missing:
        raise UnreadableFile(f"the shapefile {shp.name} lacks {', '.join(missing)}: a shapefile needs "
                             ".shp, .shx and .dbf (and .prj for its CRS)", field="file", rule="shapefile_parts")
    cpg = _sibling(shp, ".cpg")
    dbf = parts[".dbf"]
    encoding, descriptors = _dbf_text(dbf.name, _file_opener(dbf), encoding,
                                      None if cpg is None else cpg.read_bytes())
    _repair_field_names(dbf, _cut_field_names(descriptors, encoding))
    records = ShapefileRecords.open(shp.name, {ext: _file_opener(part) for ext, part in parts.items()},
                                    descriptors, encoding) if digests else None
    return OGRSource(parts[".shp"], None, encoding, keep, records=records)


def _dbf_text(name: str, opener: Opener, encoding: str | None, cpg: bytes | None) -> tuple[str, bytes]:
    """The encoding of a .dbf's text — the named one, else its .cpg's, else detected; verified over
    every record — and the .dbf's header (preamble and field descriptors)."""
    if encoding is None and cpg is not None:
        encoding = cpg.decode("ascii", errors="replace").strip() or None
    with opener() as fh:
        head = fh.read(32)
        header = int.from_bytes(head[8:10], "little") if len(head) == 32 else 0
        descriptors = head + fh.read(max(header - 32, 0))
    # the records, not the header; their spaces are padding
    return _checked(name, opener, _python_codec(encoding), header, padding=b" "), descriptors


def _file_opener(path: Path) -> Opener:
    return lambda: path.open("rb")


def _repair_field_names(dbf: Path, cut: list[tuple[int, bytes]]) -> None:
    """Write the names :func:`_cut_field_names` found cut back into the (extracted copy of the) .dbf."""
    with dbf.open("r+b") as fh:
        for start, name in cut:
            fh.seek(start)
            fh.write(name.ljust(11, b"\0"))


def _cut_field_names(descriptors: bytes, encoding: str) -> list[tuple[int, bytes]]:
    """(offset, name without its half character) of each field name a writer cut at 10 bytes in the
    middle of a character (GDAL does, for UTF-8 Chinese names): ``主管部门`` arrives as ``主管部``
    plus one stray byte."""
    cut = []
    for start in range(32, len(descriptors) - 31, 32):
        if descriptors[start] == 0x0D:
            break
        raw = descriptors[start:start + 11].split(b"\0", 1)[0]
        name = raw
        while name:
            try:
                name.decode(encoding)
                break
            except UnicodeDecodeError:
                name = name[:-1]
        if name != raw:
            cut.append((start, name))
    return cut


def _python_codec(name: str | None) -> str | None:
    """A .cpg / user encoding name as Python spells it (``936`` and ``CP936`` are GBK)."""
    if name is None:
        return None
    key = name.strip().lower()
    return {"936": "gbk", "cp936": "gbk", "gbk": "gbk", "65001": "utf-8", "utf8": "utf-8"}.get(key, key)


def _sibling(shp: Path, ext: str) -> Path | None:
    """``shp``'s sibling with ``ext`` in any letter case."""
    for candidate in shp.parent.glob(shp.stem + ".*"):
        if candidate.suffix.lower() == ext:
            return candidate
    return None


def _open_zip(path: Path, encoding: str | None, digests: bool) -> OGRSource:
    """A zipped shapefile, read by GDAL in place (``/vsizip/``) after its encoding is checked on
    the streamed .dbf and every part's CRC by reading it once; extracted to a temporary folder
    instead when field names need repair or a member name is not ASCII (zip name encodings vary)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            shps = [m for m in members if m.filename.lower().endswith(".shp")]
            if len(shps) != 1:
                raise UnreadableFile(f"{path.name} must hold exactly one .shp, it holds {len(shps)}",
                                     field="file", rule="shapefile_parts")
            stem = Path(shps[0].filename).stem
            # only the shapefile's own parts, by base name (no path traversal)
            own = [m for m in members if Path(m.filename).stem == stem]
            archives.check(archive, path.name, own)
            parts = {Path(m.filename).suffix.lower(): m for m in own}
            if all(m.filename.isascii() for m in own) and all(ext in parts for ext in SHAPEFILE_PARTS):
                opened = _open_zip_in_place(path, archive, parts, encoding, digests)
                if opened is not None:
                    return opened
            tmp = tempfile.TemporaryDirectory(prefix="gridcity-import-")
            for member in own:
                archives.extract(archive, member, Path(tmp.name) / Path(member.filename).name)  # checks its CRC
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise UnreadableFile(f"{path.name} is not a readable zip archive ({exc})", field="file",
                             rule="readable_zip") from None
    try:
        return _open_shapefile(Path(tmp.name) / Path(shps[0].filename).name, encoding, digests, keep=tmp)
    except BaseException:
        tmp.cleanup()
        raise


def _open_zip_in_place(path: Path, archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo],
                       encoding: str | None, digests: bool) -> OGRSource | None:
    """``None`` when the .dbf's field names need repair (only an extracted copy can be repaired)."""
    dbf = parts[".dbf"]
    # Reading the .dbf to its end (the successful decode) checks its CRC; the other parts are read below.
    encoding, descriptors = _dbf_text(Path(dbf.filename).name, lambda: archive.open(dbf), encoding,
                                      _cpg(archive, parts.get(".cpg")))
    if _cut_field_names(descriptors, encoding):
        return None
    for ext, member in parts.items():
        if ext != ".dbf":
            with archive.open(member) as fh:
                while fh.read(_CHUNK):
                    pass
    shp = parts[".shp"]
    records = ShapefileRecords.open(Path(shp.filename).name, {ext: _member_opener(path, member.filename)
                                                              for ext, member in parts.items()},
                                    descriptors, encoding) if digests else None
    return OGRSource(f"/vsizip/{path}/{shp.filename}", None, encoding, name=Path(shp.filename).name,
                     records=records)


def _cpg(archive: zipfile.ZipFile, member: zipfile.ZipInfo | None) -> bytes | None:
    """A .cpg names an encoding: its first bytes are all there is to read."""
    if member is None:
        return None
    with archive.open(member) as fh:
        return fh.read(64)


def _member_opener(path: Path, member: str) -> Opener:
    """Opens ``member`` of the zip archive ``path``; the archive's file stays open until the member
    is closed (zipfile counts the member's reference to it)."""
    def opened() -> IO[bytes]:
        with zipfile.ZipFile(path) as archive:
            return archive.open(member)
    return opened


def _open_copied_shapefile(shp: Path, encoding: str | None, digests: bool) -> OGRSource:
    """A bare ``.shp`` and its siblings, copied aside (field names may need repair)."""
    import shutil

    tmp = tempfile.TemporaryDirectory(prefix="gridcity-import-")
    for part in shp.parent.glob(shp.stem + ".*"):
        shutil.copy(part, Path(tmp.name) / part.name)
    try:
        return _open_shapefile(Path(tmp.name) / shp.name, encoding, digests, keep=tmp)
    except BaseException:
        tmp.cleanup()
        raise


class TableSource:
    """A CSV or XLSX sheet: the first row holds the headers; positions are in coordinate columns."""

    has_geometry = False
    crs = None

    def __init__(self, path: Path, encoding: str | None):
        self.path = path
        self.is_xlsx = path.suffix.lower() == ".xlsx"
        self.encoding = None if self.is_xlsx else _check_encoding(path, encoding)
        rows = self._rows()
        try:
            self.columns = [str(h).strip() if h is not None else "" for h in next(rows)]
        except StopIteration:
            raise UnreadableFile(f"{path.name} is empty", field="file", rule="not_empty") from None
        self.count = None
        if next(rows, None) is None:
            raise UnreadableFile(f"{path.name} has a header but no rows", field="file", rule="not_empty")

    def _rows(self) -> Iterator[list]:
        if self.is_xlsx:
            import openpyxl

            try:
                with zipfile.ZipFile(self.path) as archive:
                    archives.check(archive, self.path.name)  # a workbook is a zip archive of XML
                book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            except ArchiveTooLarge:
                raise
            except Exception as exc:  # zip or XML damage inside the workbook
                raise UnreadableFile(f"{self.path.name} is not a readable XLSX workbook ({exc})",
                                     field="file") from None
            try:
                for row in book.worksheets[0].iter_rows(values_only=True):
                    if any(v not in (None, "") for v in row):
                        yield [_cell(v) for v in row]
            finally:
                book.close()
            return
        with self.path.open(encoding="utf-8-sig" if self.encoding == "utf-8" else self.encoding, newline="") as fh:
            for row in csv.reader(fh):
                if any(v.strip() for v in row):
                    yield row

    def batches(self, size: int = BATCH_ROWS) -> Iterator[Batch]:
        rows = self._rows()
        next(rows)
        width = len(self.columns)
        numbers: list[int] = []
        buffer: list[list] = []
        line = 1
        for row in rows:
            line += 1
            numbers.append(line)
            buffer.append((row + [None] * width)[:width])
            if len(buffer) == size:
                yield self._batch(numbers, buffer)
                numbers, buffer = [], []
        if buffer:
            yield self._batch(numbers, buffer)

    def match_batches(self, headers: list[str], size: int = BATCH_ROWS) -> Iterator[Batch]:
        """Every column, as :meth:`batches` (a table's rows are hashed from their cells)."""
        return self.batches(size)

    def features(self, fids: np.ndarray, rows: np.ndarray) -> Iterator[Batch]:
        """Never asked: a table's batches carry no feature ids, so its rows are only read in passes."""
        raise NotImplementedError("a CSV or XLSX table has no feature ids")

    def _batch(self, numbers: list[int], buffer: list[list]) -> Batch:
        columns = {c: [r[i] for r in buffer] for i, c in enumerate(self.columns)}
        return Batch(np.asarray(numbers), columns)

    def close(self) -> None:
        """Nothing held open between batches."""


def _arrow_values(column: pa.Array, text_encoding: str | None) -> list:
    """An Arrow column as Python values (dates and times as ISO text, as the other readers give
    them); text as :func:`_arrow_text_codes` gives it."""
    factorized = _arrow_text_codes(column, text_encoding)
    if factorized is not None:
        codes, texts = factorized
        return np.array([*texts, None], dtype=object)[codes].tolist()  # code -1: an empty cell
    values = column.to_pylist()
    return [_cell(v) for v in values] if pa.types.is_temporal(column.type) else values


def _arrow_text_codes(column: pa.Array | pa.ChunkedArray, text_encoding: str | None) -> tuple[np.ndarray, list[str]] \
        | None:
    """A text column as (each row's code, -1 for an empty cell; the distinct texts), found in
    Arrow; ``None`` for a column of another type. Text as stored in ``text_encoding`` is decoded
    once per distinct value: the encoding was checked over the whole .dbf, so a byte that still
    does not decode is a character cut by the end of its field, and is dropped, as GDAL's recoding
    drops it."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    whole = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = (whole.cast(pa.binary()) if text_encoding is not None else whole).dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    stored = encoded.dictionary.to_pylist()
    texts = [value.decode(text_encoding, errors="ignore") for value in stored] if text_encoding is not None else stored
    return codes, texts


def _cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass
class Opened:
    source: Source
    fmt: str


FORMATS = {".zip": "shapefile", ".shp": "shapefile", ".gpkg": "geopackage", ".geojson": "geojson",
           ".json": "geojson", ".csv": "csv", ".xlsx": "xlsx"}


def open_file(path: str | Path, *, layer: str | None = None, encoding: str | None = None,
              digests: bool = False) -> Opened:
    """Open ``path`` with the reader its extension names (refusing empty and unknown files);
    ``digests``: a shapefile's batches carry its records' digests (``importers.shapefile``), for
    the kinds that remember them."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableFile(f"{path.name}: unknown format; use one of {', '.join(sorted(FORMATS))}",
                             field="file", rule="format")
    if not path.is_file() or path.stat().st_size == 0:
        raise UnreadableFile(f"{path.name} is empty or missing", field="file", rule="not_empty")
    if path.suffix.lower() == ".zip":
        source: Source = _open_zip(path, encoding, digests)
    elif fmt == "shapefile":
        source = _open_copied_shapefile(path, encoding, digests)
    elif fmt in ("csv", "xlsx"):
        source = TableSource(path, encoding)
    else:
        source = OGRSource(path, layer, encoding)
    return Opened(source, fmt)
