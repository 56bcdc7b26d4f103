-- The owner's maintenance steps an import takes while running as the app role, which owns no
-- table: switching a layer's link triggers off for a load and back on with the whole table
-- checked (layers.links.checked_after), and refreshing a layer's statistics (ANALYZE,
-- importers.load). Each is a SECURITY DEFINER function owned by the owner role doing one narrow,
-- checked thing, on a table of gridcity_private.registered_table only, named by the caller and
-- never given SQL text by it; search_path pinned (public: only the owner creates there).
--
-- gridcity_private is the owner's: the app role cannot read or change what is kept there.
CREATE SCHEMA gridcity_private;
REVOKE ALL ON SCHEMA gridcity_private FROM PUBLIC;

-- The tables the functions may maintain: the layer registry's (written after every migration by
-- layers.maintenance.register_tables, registered_by 'layers') and those a package adds itself.
CREATE TABLE gridcity_private.registered_table (
  table_name text PRIMARY KEY,
  registered_by text NOT NULL
);

-- The table ``tab`` of the public schema, when it is registered; else an error.
CREATE FUNCTION gridcity_private.registered(tab text) RETURNS regclass
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rel regclass;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM gridcity_private.registered_table WHERE table_name = tab) THEN
    RAISE EXCEPTION 'table % is not a registered layer table', tab USING ERRCODE = 'insufficient_privilege';
  END IF;
  rel := to_regclass(format('public.%I', tab));
  IF rel IS NULL THEN
    RAISE EXCEPTION 'table % does not exist', tab USING ERRCODE = 'undefined_table';
  END IF;
  RETURN rel;
END $$;

-- An error unless the calling transaction holds ``rel`` in ACCESS EXCLUSIVE mode (no other session
-- sees or writes it until the commit) and, when ``empty``, it has no row.
CREATE FUNCTION gridcity_private.held_alone(rel regclass, empty boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  found boolean;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'relation' AND l.relation = rel
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND l.pid = pg_backend_pid() AND l.mode = 'AccessExclusiveLock' AND l.granted) THEN
    RAISE EXCEPTION 'lock % in ACCESS EXCLUSIVE mode first', rel USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF empty THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', rel) INTO found;
    IF found THEN
      RAISE EXCEPTION 'table % is not empty', rel USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
END $$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA gridcity_private FROM PUBLIC;

-- Switch off the INSERT link triggers (function gridcity_link_child) of the registered table
-- ``tab`` that are on, for a load into it that the caller holds alone and found empty; returns
-- their names. No other trigger (the audit's, the tile cache's) can be switched off this way.
CREATE FUNCTION gridcity_links_off(tab text) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  rel regclass := gridcity_private.registered(tab);
  names text[];
  name text;
BEGIN
  PERFORM gridcity_private.held_alone(rel, true);
  SELECT coalesce(array_agg(t.tgname::text ORDER BY t.tgname), '{}') INTO names FROM pg_trigger t
  WHERE t.tgrelid = rel AND NOT t.tgisinternal AND t.tgenabled = 'O'
    AND t.tgfoid = 'gridcity_link_child'::regproc AND t.tgtype & 4 <> 0;
  FOREACH name IN ARRAY names LOOP
    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', rel, name);
  END LOOP;
  RETURN names;
END $$;

-- Switch the link trigger ``trigger`` of ``tab`` (switched off by gridcity_links_off) on again,
-- after checking every row of the table against the link it enforces (gridcity_link_table, with
-- the trigger's own arguments): the check cannot be left out.
CREATE FUNCTION gridcity_links_on(tab text, trigger text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  rel regclass := gridcity_private.registered(tab);
  args text[];
BEGIN
  SELECT string_to_array(encode(t.tgargs, 'escape'), '\000') INTO args FROM pg_trigger t
  WHERE t.tgrelid = rel AND t.tgname = trigger AND t.tgenabled = 'D' AND t.tgnargs = 3
    AND t.tgfoid = 'gridcity_link_child'::regproc;
  IF args IS NULL THEN
    RAISE EXCEPTION 'no link trigger % switched off on %', trigger, tab USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM gridcity_link_table(tab, args[1], args[2], args[3]);
  EXECUTE format('ALTER TABLE %s ENABLE TRIGGER %I', rel, trigger);
END $$;

-- ANALYZE the registered table ``tab``: the columns named (existing ones only), or all when null.
CREATE FUNCTION gridcity_analyze(tab text, columns text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  rel regclass := gridcity_private.registered(tab);
  unknown text;
BEGIN
  IF columns IS NULL THEN
    EXECUTE format('ANALYZE %s', rel);
    RETURN;
  END IF;
  SELECT c INTO unknown FROM unnest(columns) c
  WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = c AND a.attnum > 0
                    AND NOT a.attisdropped) LIMIT 1;
  IF unknown IS NOT NULL OR cardinality(columns) = 0 THEN
    RAISE EXCEPTION 'table % has no column %', tab, coalesce(unknown, '(none named)')
      USING ERRCODE = 'undefined_column';
  END IF;
  EXECUTE format('ANALYZE %s (%s)', rel, (SELECT string_agg(quote_ident(c), ', ') FROM unnest(columns) c));
END $$;
