from tortoise import migrations
from tortoise.migrations import operations as ops

# The login throttle's keys hold a keyed hash of the login name instead of the name (idp/throttle.py):
# rows from before, which name the account, are dropped. Only per-address counters ("ip:...") stay; the
# others are learned again (a known account+address pair at its next successful login).
DROP = ['DELETE FROM idp_login_throttle WHERE "key" NOT LIKE \'ip:%\'']


class Migration(migrations.Migration):
    dependencies = [('models', '0019_share_recipient_key')]

    initial = False

    operations = [
        ops.RunSQL(DROP, reverse_sql=[]),
    ]
