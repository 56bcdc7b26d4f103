"""Geocoding's failures, each a 4xx naming the parameter (mapped to HTTP by ``gridcity.http_errors``)."""

from __future__ import annotations

from layers.errors import BadParameter


class BadQuery(BadParameter):
    """``q`` missing, empty after normalisation, or longer than the limit."""

    rule = "address_text"


class BadCoordinate(BadParameter):
    """``lon``/``lat`` not numbers, swapped, or outside China."""

    rule = "coordinate_range"


class UnknownOutputCRS(BadParameter):
    """``crs`` is none of EPSG:4490, EPSG:4326, gcj02, bd09."""

    rule = "supported_crs"


class BadLimit(BadParameter):
    """``limit`` not an integer in range."""

    rule = "limit_range"


class UnknownArea(BadParameter):
    """``area`` is no stored district, street or community code."""

    rule = "known_area"


class BadBatchFile(BadParameter):
    """A batch file that cannot be read, or lacks the address column."""

    rule = "batch_file"
