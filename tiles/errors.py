"""Tile request errors (each a 4xx with a JSON body naming the parameter)."""

from layers.errors import BadParameter, GridcityError


class BadTilePath(BadParameter):
    """A path that is not /tiles/{layers}/{z}/{x}/{y}.mvt."""

    rule = "tile_path"


class TileOutOfRange(BadParameter):
    """z outside 0–22, or x/y outside 0…2^z−1."""

    rule = "tile_range"


class BuildNotFound(GridcityError):
    status = 404
    rule = "exists"
