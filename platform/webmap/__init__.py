"""The web map: login page and the Leaflet map of the registry's layers."""
