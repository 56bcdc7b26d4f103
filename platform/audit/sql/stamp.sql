-- Every audit entry records the database login that wrote it (session_user, which no SET ROLE or
-- setting of the session changes) beside the actor the application names (gridcity.actor), and
-- the time it was written: both set here, whatever the INSERT gave, so an entry written by a
-- session that names a false actor still shows the real login.
--
-- The stamp and the immutability triggers fire ALWAYS, also under session_replication_role =
-- replica (which only a superuser can set): that setting skips ordinary triggers.
CREATE FUNCTION gridcity_audit_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.db_user := session_user;
  NEW.at := clock_timestamp();
  RETURN NEW;
END $$;
CREATE TRIGGER audit_entry_stamp BEFORE INSERT ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION gridcity_audit_stamp();
ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER audit_entry_stamp;
ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER audit_entry_immutable;
ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER audit_entry_no_truncate;
