from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_account_handover')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Space',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='file_spaces', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='personal_spaces', on_delete=OnDelete.CASCADE)),
                ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='file_spaces', on_delete=OnDelete.CASCADE)),
                ('course', fields.ForeignKeyField('models.Course', source_field='course_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='file_spaces', on_delete=OnDelete.CASCADE)),
                ('pupils_may_write', fields.BooleanField(default=False)),
                ('quota_bytes', fields.BigIntField(null=True)),
                ('used_bytes', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'file_space', 'app': 'models', 'indexes': [Index(fields=['school_id', 'kind'])], 'pk_attr': 'id', 'table_description': 'A storage area with its own quota and root folder: a personal, class or course space.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Node',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('space', fields.ForeignKeyField('models.Space', source_field='space_id', db_constraint=True, to_field='id', related_name='nodes', on_delete=OnDelete.CASCADE)),
                ('parent', fields.ForeignKeyField('models.Node', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=8)),
                ('name', fields.CharField(max_length=255)),
                ('name_key', fields.CharField(max_length=1024)),
                ('size', fields.BigIntField(default=0)),
                ('content_type', fields.CharField(default='', max_length=255)),
                ('sha256', fields.CharField(default='', max_length=64)),
                ('trash_key', fields.IntField(default=0)),
                ('trashed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('trashed_by', fields.ForeignKeyField('models.User', source_field='trashed_by_id', null=True, db_constraint=True, to_field='id', related_name='trashed_file_nodes', on_delete=OnDelete.SET_NULL)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_file_nodes', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('modified_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'file_node', 'app': 'models', 'unique_together': (('parent', 'trash_key', 'name_key'),), 'indexes': [Index(fields=['parent_id', 'trash_key', 'kind', 'name_key']), Index(fields=['space_id', 'trash_key', 'name_key']), Index(fields=['trashed_at'])], 'pk_attr': 'id', 'table_description': 'A folder or file in the tree of a space.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FileVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('object_key', fields.CharField(unique=True, max_length=255)),
                ('size', fields.BigIntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('content_type', fields.CharField(max_length=255)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='file_versions', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('missing_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'file_version', 'app': 'models', 'indexes': [Index(fields=['node_id', 'id'])], 'pk_attr': 'id', 'table_description': 'The bytes of one state of a file: an object in the store.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TusUpload',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='tus_uploads', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tus_uploads', on_delete=OnDelete.CASCADE)),
                ('folder', fields.ForeignKeyField('models.Node', source_field='folder_id', db_constraint=True, to_field='id', related_name='tus_uploads', on_delete=OnDelete.CASCADE)),
                ('filename', fields.CharField(max_length=255)),
                ('content_type', fields.CharField(default='', max_length=255)),
                ('on_conflict', fields.CharField(default='fail', max_length=16)),
                ('total_size', fields.BigIntField()),
                ('received', fields.BigIntField(default=0)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', null=True, db_constraint=True, to_field='id', related_name='finished_tus_uploads', on_delete=OnDelete.SET_NULL)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'file_tus_upload', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A resumable upload (tus 1.0) in progress or recently finished.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TusPart',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('upload', fields.ForeignKeyField('models.TusUpload', source_field='upload_id', db_constraint=True, to_field='id', related_name='parts', on_delete=OnDelete.CASCADE)),
                ('first_byte', fields.BigIntField()),
                ('size', fields.BigIntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('object_key', fields.CharField(unique=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'file_tus_part', 'app': 'models', 'unique_together': (('upload', 'first_byte'),), 'pk_attr': 'id', 'table_description': 'One received piece of a tus upload: bytes ``first_byte`` .. ``first_byte + size`` of the file.'},
            bases=['Model'],
        ),
    ]
