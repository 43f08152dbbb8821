from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_privacy')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Job',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', null=True, db_constraint=True, to_field='id', related_name='jobs', on_delete=OnDelete.CASCADE)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='requested_jobs', on_delete=OnDelete.SET_NULL)),
                ('unique_key', fields.CharField(null=True, unique=True, max_length=120)),
                ('status', fields.CharField(default='queued', max_length=16)),
                ('progress_done', fields.BigIntField(default=0)),
                ('progress_total', fields.BigIntField(default=0)),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.TextField(default='', unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('token', fields.CharField(default='', max_length=36)),
                ('worker', fields.CharField(default='', description='host:pid of the claiming instance', max_length=120)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('heartbeat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'job', 'app': 'models', 'indexes': [Index(fields=['status', 'id'])], 'pk_attr': 'id', 'table_description': 'One piece of background work of a registered ``kind``. A worker claims it by setting ``token``'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PeriodicRun',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('next_run_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('token', fields.CharField(default='', max_length=36)),
                ('worker', fields.CharField(default='', max_length=120)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('runs', fields.IntField(default=0)),
                ('last_started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status', fields.CharField(default='', description='done | failed', max_length=16)),
                ('last_result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('last_error', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'job_periodic', 'app': 'models', 'pk_attr': 'name', 'table_description': 'The schedule and last outcome of one periodic job (``jobs.register_periodic``). An instance runs'},
            bases=['Model'],
        ),
    ]
