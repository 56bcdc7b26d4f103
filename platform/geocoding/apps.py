from django.apps import AppConfig


class GeocodingConfig(AppConfig):
    """Forward and reverse geocoding over the stored door plates, POIs, street lines and place zones."""

    name = "geocoding"
    verbose_name = "地理编码"

    def ready(self) -> None:
        # cn2an, OpenCC's dictionaries and pypinyin's take seconds to load: load them as the process
        # starts (a gunicorn worker boots before it serves), not in a user's first search.
        from . import parse, rank

        parse.normalise("預熱二十三号")
        rank.score("预热", "预热")
