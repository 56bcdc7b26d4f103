from django.apps import AppConfig


class GeocodingConfig(AppConfig):
    """Forward and reverse geocoding over the stored door plates, POIs, street lines and place zones."""

    name = "geocoding"
    verbose_name = "地理编码"
