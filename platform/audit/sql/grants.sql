-- What the app role may do, granted by the owner role after every migration
-- (audit.grants.grant_app, post_migrate: SELECT gridcity_grant_app('gridcity_app')); idempotent.
--
-- The app role reads and writes the rows of the platform's tables — SELECT, INSERT, UPDATE, DELETE —
-- and nothing else: no TRUNCATE, REFERENCES or TRIGGER, no CREATE in the schema (temporary tables
-- only: imports stage in them), and it owns nothing, so it can neither ALTER a table nor disable a
-- trigger. Two tables are narrower:
--
--   audit_auditentry   SELECT, INSERT only: the audit log is appended to, never changed (its
--                      triggers refuse UPDATE, DELETE and TRUNCATE to everyone, and stamp each
--                      entry's login and time, migrations 0001 and 0008);
--   django_migrations  SELECT only: the schema's history is the owner's.
--
-- Tables made later by the owner (the migrations of any package) get the same grants at once, by
-- the owner's default privileges, and again here after the migration that made them.
CREATE OR REPLACE FUNCTION gridcity_grant_app(app name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  item record;
BEGIN
  IF app = current_user THEN
    RAISE EXCEPTION 'the app role must not be the owner role %: give DATABASE_URL a login of its own', app;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
    RAISE EXCEPTION 'the app role % does not exist: create it (deploy/db/gridcity-roles.sh)', app;
  END IF;
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), app);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I',
                 app);
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', app);
  FOR item IN
    SELECT c.oid::regclass AS rel, c.relkind, c.relname FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  LOOP
    EXECUTE format('REVOKE ALL ON %s FROM %I', item.rel, app);
    IF item.relkind = 'S' THEN
      EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', item.rel, app);
    ELSIF item.relname = 'audit_auditentry' THEN
      EXECUTE format('GRANT SELECT, INSERT ON %s TO %I', item.rel, app);
    ELSIF item.relname = 'django_migrations' THEN
      EXECUTE format('GRANT SELECT ON %s TO %I', item.rel, app);
    ELSE
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', item.rel, app);
    END IF;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION gridcity_grant_app(name) FROM PUBLIC;
