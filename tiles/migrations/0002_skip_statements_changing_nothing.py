"""A statement that changes no row (an import's UPDATE when nothing differs) leaves the layer's
version and its cached tiles alone, so an unchanged re-import does not make offline packages
look stale."""

from django.db import migrations

INVALIDATE = """
CREATE OR REPLACE FUNCTION gridcity_tiles_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sources text[] := '{}';
  changed text;
  any_row boolean;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    sources := sources || 'old_rows'::text;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    sources := sources || 'new_rows'::text;
  END IF;
  -- The changed rows, old and new, as one relation r.
  SELECT string_agg(format('SELECT * FROM %I', t), ' UNION ALL ') INTO changed FROM unnest(sources) t;
  EXECUTE format('SELECT EXISTS (%s)', changed) INTO any_row;
  IF NOT any_row THEN
    RETURN NULL;
  END IF;
  INSERT INTO tiles_layer_version AS v (layer, version, changed_at) VALUES (TG_ARGV[0], 1, now())
    ON CONFLICT (layer) DO UPDATE SET version = v.version + 1, changed_at = now();
  -- Nothing cached for this layer (or this jurisdiction): nothing to look up, however many rows changed.
  IF NOT EXISTS (SELECT 1 FROM tiles_cache WHERE layers @> ARRAY[TG_ARGV[0]]) AND TG_NARGS = 2 THEN
    RETURN NULL;
  END IF;
  EXECUTE format(
    'DELETE FROM tiles_cache c USING (SELECT DISTINCT ST_Transform(ST_Envelope(r.%I), 3857) AS e FROM (%s) r'
    ' WHERE r.%I IS NOT NULL) ch WHERE c.layers @> ARRAY[%L] AND c.envelope && ch.e',
    TG_ARGV[1], changed, TG_ARGV[1], TG_ARGV[0]);
  IF TG_NARGS > 2 THEN
    EXECUTE format('DELETE FROM tiles_cache WHERE jurisdiction IN (SELECT r.%I::text FROM (%s) r)',
                   TG_ARGV[2], changed);
  END IF;
  RETURN NULL;
END $$;
"""


def _previous() -> str:
    from importlib import import_module

    create = import_module("tiles.migrations.0001_initial").CREATE
    function = create[create.index("CREATE FUNCTION gridcity_tiles_invalidate"):create.index("-- TRUNCATE")]
    return function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


class Migration(migrations.Migration):
    dependencies = [("tiles", "0001_initial")]

    operations = [migrations.RunSQL(INVALIDATE, _previous())]
