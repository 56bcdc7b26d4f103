"""API tokens per device (hashed, expiring, revocable) in place of DRF's authtoken, the failed
logins the lockout counts, the password's age, and the security administrator role.

- ``gridcity_token_user(key)``: the one check of a token, for Django (``accounts.tokens``) and the
  tile fast path (``tiles.cache``), which calls it by name in the same round trip as its cache
  lookup. A token is valid when not revoked, before its absolute expiry, within its idle limit of
  its last use, and its user is active and not locked; a use is recorded (at most every 10 s, so
  parallel tile requests do not each write the row; the idle limit can only end that much early).
- A trigger on the users revokes a user's tokens when the password changes, the account is locked
  or deactivated, whatever made the change.
- Migration path from ``rest_framework.authtoken``: its keys never expired, so they are dropped
  with their table (clients log in once more); existing passwords count their age from now.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.models

TOKEN_USER = """
CREATE FUNCTION gridcity_token_user(raw_key text)
RETURNS TABLE (token_id bigint, user_id bigint, username text, role text, jurisdiction_code text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  h text := encode(sha256(convert_to(raw_key, 'UTF8')), 'hex');
  moment timestamptz := clock_timestamp();
BEGIN
  RETURN QUERY
    SELECT t.id, u.id, u.username::text, u.role::text, u.jurisdiction_code::text
    FROM accounts_apitoken t JOIN accounts_user u ON u.id = t.user_id
    WHERE t.key_hash = h AND t.revoked_at IS NULL AND t.expires_at > moment AND t.last_used_at + t.idle > moment
      AND u.is_active AND (u.locked_until IS NULL OR u.locked_until <= moment);
  IF FOUND THEN
    UPDATE accounts_apitoken SET last_used_at = moment
    WHERE key_hash = h AND last_used_at < moment - interval '10 seconds';
  END IF;
END $$;
"""

REVOKE_ON_USER_CHANGE = """
CREATE FUNCTION gridcity_tokens_revoke() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE accounts_apitoken SET revoked_at = clock_timestamp(), revoked_reason = CASE
      WHEN NOT NEW.is_active THEN 'deactivated'
      WHEN NEW.password IS DISTINCT FROM OLD.password THEN 'password changed'
      ELSE 'locked' END
  WHERE user_id = NEW.id AND revoked_at IS NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER accounts_user_revoke_tokens AFTER UPDATE ON accounts_user FOR EACH ROW
  WHEN ((OLD.is_active AND NOT NEW.is_active) OR NEW.password IS DISTINCT FROM OLD.password
        OR (NEW.locked_until IS NOT NULL AND NEW.locked_until IS DISTINCT FROM OLD.locked_until))
  EXECUTE FUNCTION gridcity_tokens_revoke();
"""

DROP_AUTHTOKEN = """
DROP TABLE IF EXISTS authtoken_token;
DELETE FROM django_migrations WHERE app = 'authtoken';
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_whole_platform'),
    ]

    operations = [
        migrations.AlterModelManagers(
            name='user',
            managers=[
                ('objects', accounts.models.GridcityUserManager()),
            ],
        ),
        migrations.RemoveField(
            model_name='user',
            name='failed_logins',
        ),
        migrations.AddField(
            model_name='user',
            name='password_changed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='密码修改时间'),
        ),
        migrations.RunSQL("UPDATE accounts_user SET password_changed_at = now()", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='user',
            name='role',
            field=models.CharField(choices=[('admin', '系统管理员'), ('surveyor', '普查员'), ('dispatcher', '受理派遣员'), ('planner', '规划管理员'), ('supervisor', '监督员'), ('auditor', '审计员'), ('secadmin', '安全管理员')], max_length=16, verbose_name='角色'),
        ),
        migrations.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField()),
                ('username', models.CharField(max_length=150)),
                ('address', models.CharField(max_length=45)),
            ],
            options={
                'indexes': [models.Index(fields=['username', 'at'], name='accounts_fail_user_idx'), models.Index(fields=['address', 'at'], name='accounts_fail_addr_idx')],
            },
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, verbose_name='设备')),
                ('key_hash', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(verbose_name='签发时间')),
                ('last_used_at', models.DateTimeField(verbose_name='最近使用')),
                ('expires_at', models.DateTimeField(verbose_name='到期时间')),
                ('idle', models.DurationField(verbose_name='空闲时限')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='吊销时间')),
                ('revoked_reason', models.CharField(blank=True, max_length=32, verbose_name='吊销原因')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
            ],
            options={
                'verbose_name': 'API 令牌',
                'indexes': [models.Index(fields=['user', 'revoked_at'], name='accounts_token_user_idx')],
            },
        ),
        migrations.RunSQL(TOKEN_USER, "DROP FUNCTION gridcity_token_user(text)"),
        migrations.RunSQL(REVOKE_ON_USER_CHANGE, "DROP TRIGGER accounts_user_revoke_tokens ON accounts_user;"
                                                 " DROP FUNCTION gridcity_tokens_revoke()"),
        migrations.RunSQL(DROP_AUTHTOKEN, migrations.RunSQL.noop),
    ]
