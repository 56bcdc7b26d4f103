"""The GPS fixes: ``fleet_fix`` partitioned by day, and the functions that add and detach its partitions.

Key (vehicle_id, time): the terminal's natural key once resolved to its vehicle, which is also the
shard key for Citus later (every hot query filters by vehicle and time). A partition is one day
of the platform's time zone, named ``fleet_fix_YYYYMMDD``. Both functions are SECURITY DEFINER,
owned by the role that migrates, so an application role that may not create tables can still
have a day's partition made by the ingest and old ones detached by ``gridcity fleet maintain``.
"""

from django.db import migrations

CREATE = """
CREATE TABLE fleet_fix (
    vehicle_id bigint NOT NULL,
    time timestamptz NOT NULL,
    terminal text NOT NULL,
    geom geometry(Point, 4490) NOT NULL,
    speed real,
    heading real,
    weight real,
    rfid text,
    lid text,
    feed_id bigint,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vehicle_id, time)
) PARTITION BY RANGE (time);
CREATE INDEX fleet_fix_geom ON fleet_fix USING gist (geom);

CREATE FUNCTION fleet_fix_partition(day date, zone text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  name text := 'fleet_fix_' || to_char(day, 'YYYYMMDD');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('fleet_fix_partition'));
  IF EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'fleet_fix'::regclass AND c.relname = name) THEN
    RETURN name;
  END IF;
  IF to_regclass(name) IS NOT NULL THEN
    RAISE EXCEPTION 'the partition % was detached by the retention; fixes of % are no longer taken', name, day;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF fleet_fix FOR VALUES FROM (%L) TO (%L)', name,
                 day::timestamp AT TIME ZONE zone, (day + 1)::timestamp AT TIME ZONE zone);
  RETURN name;
END $$;

CREATE FUNCTION fleet_fix_detach_before(first_kept date) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  part text;
BEGIN
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'fleet_fix'::regclass AND c.relname ~ '^fleet_fix_[0-9]{8}$'
      AND to_date(substr(c.relname, 11), 'YYYYMMDD') < first_kept
    ORDER BY c.relname
  LOOP
    EXECUTE format('ALTER TABLE fleet_fix DETACH PARTITION %I', part);
    RETURN NEXT part;
  END LOOP;
END $$;
"""

DROP = """
DROP FUNCTION fleet_fix_detach_before(date);
DROP FUNCTION fleet_fix_partition(date, text);
DROP TABLE fleet_fix;
"""


class Migration(migrations.Migration):
    dependencies = [("fleet", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
