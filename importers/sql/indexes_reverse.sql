DROP FUNCTION gridcity_indexes_build(text);
DROP FUNCTION gridcity_indexes_drop(text, boolean);
DROP FUNCTION gridcity_index_plan(text, boolean);
DELETE FROM gridcity_private.registered_table WHERE registered_by = 'importers';
DROP TABLE gridcity_private.dropped_index;
