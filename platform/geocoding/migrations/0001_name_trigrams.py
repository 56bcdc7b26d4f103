"""Trigram indexes for name lookup (pg_trgm, GIN) and a house-number index for door plates.

pg_trgm only forms trigrams of what the database's locale calls letters, and the embedded cluster
runs with ``--locale=C``, where no Chinese character is one (``show_trgm('丽华苑')`` is empty).
So names are indexed by their UTF-8 bytes in hex (丽 → ``e4b8bd``): the letters of one name run
together as one word, and the trigrams of that word hold both the characters and which follows
which. Python makes the same key for the text looked up (``geocoding.lookup.name_key``); the
result does not depend on the locale. ``gridcity_names_key(name, aliases, old_names)`` is every
name of an entity, one word each, so ``key <% names_key`` (word similarity, GIN-indexed) finds a
name among the aliases and old names too: the hex of ``name["alias", …]["old name", …]`` with the
JSON punctuation between names first made ideographic spaces (U+3000, hex ``e38080``), whose hex
then becomes a space; ``e38080`` cannot straddle two bytes of a name (it would need the byte 0x08).
It is one expression of C functions: splitting names in a subquery cost 0.1–0.5 ms a row, a
regular expression over the hex 75 µs.
``gridcity_house_number(number)`` is the integer of 门牌号 (甲12-1号 → 12).
"""

from django.db import migrations

FORWARD = r"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE FUNCTION gridcity_names_key(name text, aliases jsonb, old_names jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT replace(encode(textsend(translate(name || coalesce(aliases::text, '') || coalesce(old_names::text, ''),
                                           '[]", ', repeat(chr(12288), 5))), 'hex'), 'e38080', ' ')
$$;

CREATE FUNCTION gridcity_house_number(number text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT substring(number from '([0-9]{1,9})')::integer
$$;

CREATE INDEX geocoding_streetline_names ON layers_streetline
  USING gin (gridcity_names_key(name, aliases, old_names) gin_trgm_ops);
CREATE INDEX geocoding_zone_names ON layers_zone USING gin (gridcity_names_key(name, aliases, old_names) gin_trgm_ops);
CREATE INDEX geocoding_poi_names ON layers_poi USING gin (gridcity_names_key(name, aliases, old_names) gin_trgm_ops);
CREATE INDEX geocoding_doorplate_number ON layers_doorplate (street_name, gridcity_house_number(number));
"""
BACKWARD = """
DROP INDEX geocoding_doorplate_number;
DROP INDEX geocoding_poi_names;
DROP INDEX geocoding_zone_names;
DROP INDEX geocoding_streetline_names;
DROP FUNCTION gridcity_house_number(text);
DROP FUNCTION gridcity_names_key(text, jsonb, jsonb);
"""


class Migration(migrations.Migration):

    dependencies = [
        ("layers", "0003_geocoding"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
