from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

# Which rules a school's administrators agreed to (privacy/RETENTION.md "New rules"). A saved row was saved
# from the form with the five rules of migration 0012, so those count as agreed; task_records_days (0021)
# does not, and no school without a row has agreed to anything.
AGREED = ['UPDATE privacy_retention_policy SET confirmed = \'["leavers_days","trash_days","audit_days",'
          '"links_days","notifications_days"]\'']


class Migration(migrations.Migration):
    dependencies = [('models', '0021_task_records_retention')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RetentionPolicy',
            name='confirmed',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.RunSQL(AGREED, reverse_sql=[]),
    ]
