from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_jobs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RetentionPolicy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.OneToOneField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='retention_policy', on_delete=OnDelete.CASCADE)),
                ('leavers_days', fields.IntField()),
                ('trash_days', fields.IntField(null=True)),
                ('audit_days', fields.IntField()),
                ('links_days', fields.IntField()),
                ('notifications_days', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('updated_by', fields.CharField(default='', description='pseudonym (public id)', max_length=64)),
            ],
            options={'table': 'privacy_retention_policy', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How long a school keeps what it no longer needs, in days (privacy/RETENTION.md), one row per school.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SchoolYearChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='school_year_changes', on_delete=OnDelete.CASCADE)),
                ('from_year', fields.CharField(max_length=9)),
                ('to_year', fields.CharField(max_length=9)),
                ('done_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_by', fields.CharField(default='', description='pseudonym (public id)', max_length=64)),
                ('summary', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'privacy_school_year_change', 'app': 'models', 'unique_together': (('school', 'from_year'),), 'pk_attr': 'id', 'table_description': 'One school-year change of one school: the unique key makes a second run for the same year fail.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='pruned_by',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='User',
            name='left_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
