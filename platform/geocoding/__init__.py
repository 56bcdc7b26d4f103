"""Geocoding of Chinese location descriptions over the GB/T 30428.3 entities (SPEC §5.3): forward, reverse, batch."""
