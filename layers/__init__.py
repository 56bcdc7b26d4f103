"""The feature catalogue: models of every feature type, the layer registry, and the GeoJSON API."""
