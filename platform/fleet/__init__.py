"""Vehicles and people with positioning terminals: the registry, GPS ingest, live positions, playback and questions."""
