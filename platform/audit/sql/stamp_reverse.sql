ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_immutable;
ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_no_truncate;
DROP TRIGGER audit_entry_stamp ON audit_auditentry;
DROP FUNCTION gridcity_audit_stamp();
