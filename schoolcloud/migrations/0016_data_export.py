from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0015_erasure_pseudonyms')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataExport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.UUIDField(unique=True, description='in URLs')),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', null=True, db_constraint=True, to_field='id', related_name='data_exports', on_delete=OnDelete.CASCADE)),
                ('subject', fields.ForeignKeyField('models.User', source_field='subject_id', db_constraint=True, to_field='id', related_name='data_exports', on_delete=OnDelete.CASCADE)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='requested_exports', on_delete=OnDelete.CASCADE)),
                ('job', fields.ForeignKeyField('models.Job', source_field='job_id', null=True, db_constraint=True, to_field='id', related_name='data_exports', on_delete=OnDelete.SET_NULL)),
                ('object_key', fields.CharField(default='', max_length=255)),
                ('size', fields.BigIntField(default=0)),
                ('downloads', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ready_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'privacy_export', 'app': 'models', 'indexes': [Index(fields=['subject_id', 'requested_by_id'])], 'pk_attr': 'id', 'table_description': 'One requested copy of all data about a person (Art. 15/20): built by a background job into the'},
            bases=['Model'],
        ),
    ]
