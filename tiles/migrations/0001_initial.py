"""The tile cache (UNLOGGED: it is rebuilt on demand) and the per-layer data versions.

A cached tile keeps its envelope (with the MVT buffer) in EPSG:3857 under a GiST index, so the
invalidation trigger can drop exactly the tiles a changed geometry touches, at every zoom.
"""

from django.db import migrations

CREATE = """
CREATE UNLOGGED TABLE tiles_cache (
    key text PRIMARY KEY,
    layers text[] NOT NULL,
    z smallint NOT NULL,
    x integer NOT NULL,
    y integer NOT NULL,
    envelope geometry(Polygon, 3857) NOT NULL,
    data bytea NOT NULL,
    etag text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tiles_cache_envelope ON tiles_cache USING gist (envelope);
CREATE INDEX tiles_cache_layers ON tiles_cache USING gin (layers);

CREATE TABLE tiles_layer_version (
    layer text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- Statement-level trigger on every layer table: TG_ARGV[0] is the layer name, TG_ARGV[1] its
-- geometry column. It first bumps the layer's version (so a tile being built concurrently is not
-- cached stale, see tiles/cache.py), then drops the cached tiles the old and new geometries touch.
CREATE FUNCTION gridcity_tiles_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parts text[] := '{}';
BEGIN
  INSERT INTO tiles_layer_version AS v (layer, version, changed_at) VALUES (TG_ARGV[0], 1, now())
    ON CONFLICT (layer) DO UPDATE SET version = v.version + 1, changed_at = now();
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    parts := parts || format('SELECT %I AS g FROM old_rows', TG_ARGV[1]);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    parts := parts || format('SELECT %I AS g FROM new_rows', TG_ARGV[1]);
  END IF;
  EXECUTE format(
    'DELETE FROM tiles_cache c USING (SELECT DISTINCT ST_Transform(ST_Envelope(g), 3857) AS e FROM (%s) u'
    ' WHERE g IS NOT NULL) ch WHERE c.layers @> ARRAY[%L] AND c.envelope && ch.e',
    array_to_string(parts, ' UNION ALL '), TG_ARGV[0]);
  RETURN NULL;
END $$;
"""

DROP = """
DROP FUNCTION gridcity_tiles_invalidate() CASCADE;
DROP TABLE tiles_layer_version;
DROP TABLE tiles_cache;
"""


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [migrations.RunSQL(CREATE, DROP)]
