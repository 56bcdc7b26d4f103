"""The tile cache (UNLOGGED: it is rebuilt on demand) and the per-layer data versions.

A cached tile keeps its envelope (with the MVT buffer) in EPSG:3857 under a GiST index, so the
invalidation trigger can drop exactly the tiles a changed geometry touches, at every zoom.
"""

from django.db import migrations

CREATE = """
CREATE UNLOGGED TABLE tiles_cache (
    key text NOT NULL,
    jurisdiction text NOT NULL,
    layers text[] NOT NULL,
    z smallint NOT NULL,
    x integer NOT NULL,
    y integer NOT NULL,
    envelope geometry(Polygon, 3857) NOT NULL,
    data bytea NOT NULL,
    etag text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, jurisdiction)
);
CREATE INDEX tiles_cache_envelope ON tiles_cache USING gist (envelope);
CREATE INDEX tiles_cache_layers ON tiles_cache USING gin (layers);

CREATE TABLE tiles_layer_version (
    layer text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- Statement-level trigger on every layer table: TG_ARGV[0] is the layer name, TG_ARGV[1] its
-- geometry column, TG_ARGV[2] (jurisdiction layers only) its code column. It first bumps the
-- layer's version (so a tile being built concurrently is not cached stale, see tiles/cache.py),
-- then drops the cached tiles the old and new geometries touch, and for a changed district, street
-- or community boundary every tile cached for that jurisdiction.
CREATE FUNCTION gridcity_tiles_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sources text[] := '{}';
  changed text;
BEGIN
  INSERT INTO tiles_layer_version AS v (layer, version, changed_at) VALUES (TG_ARGV[0], 1, now())
    ON CONFLICT (layer) DO UPDATE SET version = v.version + 1, changed_at = now();
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    sources := sources || 'old_rows'::text;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    sources := sources || 'new_rows'::text;
  END IF;
  -- The changed rows, old and new, as one relation r.
  SELECT string_agg(format('SELECT * FROM %I', t), ' UNION ALL ') INTO changed FROM unnest(sources) t;
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

-- TRUNCATE has no transition tables: drop every cached tile holding the layer.
CREATE FUNCTION gridcity_tiles_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tiles_layer_version SET version = version + 1, changed_at = now() WHERE layer = TG_ARGV[0];
  DELETE FROM tiles_cache WHERE layers @> ARRAY[TG_ARGV[0]];
  RETURN NULL;
END $$;
"""

DROP = """
DROP FUNCTION gridcity_tiles_invalidate() CASCADE;
DROP FUNCTION gridcity_tiles_truncated() CASCADE;
DROP TABLE tiles_layer_version;
DROP TABLE tiles_cache;
"""


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [migrations.RunSQL(CREATE, DROP)]
