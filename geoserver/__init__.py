"""OGC publication: GeoServer configuration from the layer registry over its REST API."""
