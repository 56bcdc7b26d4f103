"""What every feature model shares: the storage SRID, timestamps, and the spatial checks they use."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import connection

SRID = 4490


class Feature(models.Model):
    """Abstract base of every layer's model: creation and change times kept by the database row."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


def geodesic(measure: str, geom: GEOSGeometry) -> float:
    """``area`` (m²) or ``length`` (m) of ``geom`` on the ellipsoid, computed by PostGIS geography."""
    function = {"area": "ST_Area", "length": "ST_Length"}[measure]
    with connection.cursor() as cur:
        cur.execute(f"SELECT {function}(%s::geometry::geography)", [geom.ewkt])
        return float(cur.fetchone()[0])


def check_geometry(geom: GEOSGeometry | None, field: str = "geom") -> None:
    """Refuse a missing, empty or invalid geometry (rules ``required``, ``valid_geometry``)."""
    if geom is None or geom.empty:
        raise ValidationError({field: ValidationError("a geometry is required", code="required")})
    if not geom.valid:
        raise ValidationError(
            {field: ValidationError(f"invalid geometry: {geom.valid_reason}", code="valid_geometry")}
        )


def area_outside_m2(geom: GEOSGeometry, table: str, code: str) -> float | None:
    """Area in m² of ``geom`` lying outside the polygon of the admin unit ``code`` in ``table``.

    ``None`` when that unit does not exist. ``table`` comes from model ``_meta`` only.
    """
    sql = f"SELECT ST_Area(ST_Difference(%s::geometry, geom)::geography) FROM {table} WHERE code = %s"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [geom.ewkt, code])
        row = cur.fetchone()
    return None if row is None else float(row[0] or 0.0)


def check_inside(geom: GEOSGeometry, parent: models.Model, what: str) -> None:
    """Refuse a polygon sticking out of its parent unit by more than the nesting tolerance."""
    outside = area_outside_m2(geom, parent._meta.db_table, parent.code)
    if outside is not None and outside > settings.GRIDCITY_NESTING_TOLERANCE_M2:
        raise ValidationError(
            {"geom": ValidationError(
                f"{what} lies {outside:.1f} m² outside {parent} (tolerance "
                f"{settings.GRIDCITY_NESTING_TOLERANCE_M2} m²)",
                code="inside_parent",
            )}
        )


def attach_parent(child: models.Model, kind: str, parent_model: type[models.Model], attr: str) -> models.Model:
    """Check ``child.code`` and set its parent unit from the code's prefix (rules ``code_format``,
    ``code_hierarchy``): the parent is derived from the code, never trusted from the request."""
    from .. import codes

    code = child.code
    try:
        codes.check_code(code, kind)
    except ValidationError as exc:
        raise ValidationError({"code": exc}) from None
    parent = parent_model.objects.filter(code=codes.parent_code(code)).first()
    if parent is None:
        raise ValidationError({"code": ValidationError(
            f"{kind} code {code} nests in {codes.parent_code(code)}, which does not exist", code="code_hierarchy"
        )})
    setattr(child, attr, parent)
    return parent
