-- Indexes dropped before a load into an empty table and built again after it
-- (importers.indexes.built_after), for the app role, which owns no table: SECURITY DEFINER
-- functions of the owner role over registered tables only (layers migration 0010). The definitions
-- are PostgreSQL's own text, read from the catalog and kept in the owner's
-- gridcity_private.dropped_index between the two calls (rolled back with the transaction); the
-- caller names the table and never gives DDL text.

CREATE TABLE gridcity_private.dropped_index (
  table_name text NOT NULL,
  position integer NOT NULL,
  index_name text NOT NULL,
  constraint_name text,
  definition text NOT NULL,
  PRIMARY KEY (table_name, position)
);

-- The row digests' table is maintained as the layers are (its key built after a first census).
INSERT INTO gridcity_private.registered_table (table_name, registered_by) VALUES ('importers_rowdigest', 'importers');

-- Each index of ``tab`` but its primary key (unless ``with_primary``) and any key a foreign key
-- references: its name, its constraint's name when one stands on it, how to build it again (the
-- constraint's definition, as ``UNIQUE (code)``, else the index's own) and whether it carries what
-- those definitions leave out (storage parameters, CLUSTER, replica identity, a comment).
CREATE FUNCTION gridcity_index_plan(tab text, with_primary boolean)
RETURNS TABLE (index_name text, constraint_name text, definition text, special boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
SELECT x.relname::text, c.conname::text, coalesce(pg_get_constraintdef(c.oid), pg_get_indexdef(i.indexrelid)),
       x.reloptions IS NOT NULL OR i.indisclustered OR i.indisreplident OR obj_description(x.oid) IS NOT NULL
FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
WHERE i.indrelid = to_regclass(format('public.%I', tab)) AND (with_primary OR NOT i.indisprimary)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
ORDER BY i.indexrelid
$$;

-- Drop the indexes of gridcity_index_plan(tab, with_primary) from the registered table ``tab``,
-- which the caller holds in ACCESS EXCLUSIVE mode and found empty, keeping their definitions;
-- none when one of them is special. Returns how many were dropped.
CREATE FUNCTION gridcity_indexes_drop(tab text, with_primary boolean) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  rel regclass := gridcity_private.registered(tab);
  item record;
  dropped integer := 0;
BEGIN
  PERFORM gridcity_private.held_alone(rel, true);
  IF EXISTS (SELECT 1 FROM gridcity_private.dropped_index d WHERE d.table_name = tab) THEN
    RAISE EXCEPTION 'the indexes of % were dropped and not built again: SELECT gridcity_indexes_build(%L)', tab, tab
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF EXISTS (SELECT 1 FROM gridcity_index_plan(tab, with_primary) p WHERE p.special) THEN
    RETURN 0;
  END IF;
  INSERT INTO gridcity_private.dropped_index (table_name, position, index_name, constraint_name, definition)
  SELECT tab, p.position, p.index_name, p.constraint_name, p.definition
  FROM gridcity_index_plan(tab, with_primary) WITH ORDINALITY AS p(index_name, constraint_name, definition, special,
                                                                    position);
  FOR item IN SELECT d.index_name, d.constraint_name FROM gridcity_private.dropped_index d
              WHERE d.table_name = tab ORDER BY d.position LOOP
    IF item.constraint_name IS NOT NULL THEN
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel, item.constraint_name);
    ELSE
      EXECUTE format('DROP INDEX public.%I', item.index_name);
    END IF;
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;

-- Build again, with their names, the indexes gridcity_indexes_drop dropped from ``tab``; returns how many.
CREATE FUNCTION gridcity_indexes_build(tab text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  rel regclass := gridcity_private.registered(tab);
  item record;
  built integer := 0;
BEGIN
  FOR item IN SELECT d.constraint_name, d.definition FROM gridcity_private.dropped_index d
              WHERE d.table_name = tab ORDER BY d.position LOOP
    IF item.constraint_name IS NOT NULL THEN
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', rel, item.constraint_name, item.definition);
    ELSE
      EXECUTE item.definition;
    END IF;
    built := built + 1;
  END LOOP;
  DELETE FROM gridcity_private.dropped_index d WHERE d.table_name = tab;
  RETURN built;
END $$;
