"""The GeoJSON API over the layer registry: /api/layers/…"""
