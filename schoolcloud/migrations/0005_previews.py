from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_sharing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Preview',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('version', fields.OneToOneField('models.FileVersion', source_field='version_id', db_constraint=True, to_field='id', related_name='preview', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='pending', max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('content_type', fields.CharField(default='', max_length=32)),
                ('data', fields.BinaryField(null=True)),
                ('error', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'file_preview', 'app': 'models', 'indexes': [Index(fields=['status', 'id'])], 'pk_attr': 'id', 'table_description': 'The thumbnail of one file version (images, the first page of PDFs), made in the background.'},
            bases=['Model'],
        ),
    ]
