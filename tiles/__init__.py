"""Mapbox Vector Tiles built in PostGIS from the layer registry: composites, TileJSON, cache and
invalidation, and MBTiles offline packages for mobile clients."""
