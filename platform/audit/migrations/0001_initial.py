from django.db import migrations, models

# The audit table refuses UPDATE, DELETE and TRUNCATE for everyone, enforced by the database.
IMMUTABLE = """
CREATE FUNCTION gridcity_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log cannot be changed: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_entry_immutable BEFORE UPDATE OR DELETE ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION gridcity_audit_refuse();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
  FOR EACH STATEMENT EXECUTE FUNCTION gridcity_audit_refuse();
"""

# One statement-level function for every audited table; TG_ARGV[0] is the key column, the rest
# are columns left out of the log (password hashes).
ROWS = """
CREATE FUNCTION gridcity_audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  who text := coalesce(nullif(current_setting('gridcity.actor', true), ''), 'db:' || session_user);
  pk text := TG_ARGV[0];
  hidden text[] := coalesce(TG_ARGV[1:], '{}');
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
    SELECT clock_timestamp(), who, TG_OP, TG_TABLE_NAME, j->>pk, NULL, j - hidden
    FROM (SELECT to_jsonb(n) AS j FROM new_rows n) s;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
    SELECT clock_timestamp(), who, TG_OP, TG_TABLE_NAME, n.j->>pk, o.j - hidden, n.j - hidden
    FROM (SELECT to_jsonb(r) AS j FROM new_rows r) n
    JOIN (SELECT to_jsonb(r) AS j FROM old_rows r) o ON o.j->>pk = n.j->>pk
    WHERE o.j IS DISTINCT FROM n.j;
  ELSE
    INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
    SELECT clock_timestamp(), who, TG_OP, TG_TABLE_NAME, j->>pk, j - hidden, NULL
    FROM (SELECT to_jsonb(o) AS j FROM old_rows o) s;
  END IF;
  RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(db_index=True, verbose_name="时间")),
                ("actor", models.CharField(db_index=True, max_length=150, verbose_name="操作人")),
                ("action", models.CharField(max_length=8, verbose_name="操作")),
                ("table_name", models.CharField(db_index=True, max_length=63, verbose_name="数据表")),
                ("row_id", models.CharField(max_length=64, verbose_name="记录")),
                ("before", models.JSONField(null=True, verbose_name="修改前")),
                ("after", models.JSONField(null=True, verbose_name="修改后")),
            ],
            options={"verbose_name": "审计记录", "ordering": ["-at", "-id"],
                     "indexes": [models.Index(fields=["table_name", "row_id"], name="audit_audit_table_n_idx")]},
        ),
        migrations.RunSQL(IMMUTABLE, "DROP TABLE audit_auditentry; DROP FUNCTION gridcity_audit_refuse();"),
        migrations.RunSQL(ROWS, "DROP FUNCTION gridcity_audit_rows();"),
    ]
