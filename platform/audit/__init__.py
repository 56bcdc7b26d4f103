"""The audit log: every write to an audited table, recorded by the database itself and never changed."""
