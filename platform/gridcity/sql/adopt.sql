-- Hands a database made by an earlier version (everything owned by the superuser that ran the
-- migrations) to the owner role: its schemas, tables, views, sequences, functions and types, but
-- not what an extension owns (PostGIS's spatial_ref_sys, its functions), nor the sequences that
-- belong to a table (they follow it). Idempotent: what the owner role owns already is left alone.
-- Run by the embedded cluster's superuser (gridcity.cluster.Cluster.ensure_database) as
-- SELECT pg_temp.gridcity_adopt('gridcity_owner').
CREATE OR REPLACE FUNCTION pg_temp.gridcity_adopt(new_owner name) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  target oid := (SELECT oid FROM pg_roles WHERE rolname = new_owner);
  item record;
  moved integer := 0;
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'no role %', new_owner;
  END IF;
  FOR item IN
    SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, new_owner) AS stmt
    FROM pg_namespace n
    WHERE n.nspowner <> target AND n.nspname NOT IN ('public', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                      AND d.objid = n.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER %s %s OWNER TO %I',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                  c.oid::regclass, new_owner)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relowner <> target AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname NOT IN ('information_schema') AND n.nspname NOT LIKE 'pg\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
    UNION ALL
    SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, new_owner)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proowner <> target AND n.nspname NOT IN ('information_schema') AND n.nspname NOT LIKE 'pg\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, new_owner)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typowner <> target AND t.typtype IN ('e', 'd') AND n.nspname NOT IN ('information_schema')
      AND n.nspname NOT LIKE 'pg\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                      AND d.deptype = 'e')
  LOOP
    EXECUTE item.stmt;
    moved := moved + 1;
  END LOOP;
  RETURN moved;
END $$;
