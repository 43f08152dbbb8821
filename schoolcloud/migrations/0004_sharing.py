from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_files')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PublicLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.CharField(unique=True, max_length=64)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='file_links', on_delete=OnDelete.CASCADE)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', db_constraint=True, to_field='id', related_name='public_links', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_file_links', on_delete=OnDelete.SET_NULL)),
                ('mode', fields.CharField(default='download', max_length=16)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('max_downloads', fields.IntField(null=True)),
                ('downloads', fields.IntField(default=0)),
                ('uploads', fields.IntField(default=0)),
                ('failed_attempts', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'file_public_link', 'app': 'models', 'indexes': [Index(fields=['node_id'])], 'pk_attr': 'id', 'table_description': 'A link anyone holding the random ``token`` can use, without an account.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Team',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='teams', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_teams', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'team', 'app': 'models', 'indexes': [Index(fields=['school_id', 'name'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Share',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='file_shares', on_delete=OnDelete.CASCADE)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_file_shares', on_delete=OnDelete.SET_NULL)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='received_file_shares', on_delete=OnDelete.CASCADE)),
                ('school_class', fields.ForeignKeyField('models.SchoolClass', source_field='school_class_id', null=True, db_constraint=True, to_field='id', related_name='file_shares', on_delete=OnDelete.CASCADE)),
                ('course', fields.ForeignKeyField('models.Course', source_field='course_id', null=True, db_constraint=True, to_field='id', related_name='file_shares', on_delete=OnDelete.CASCADE)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='file_shares', on_delete=OnDelete.CASCADE)),
                ('can_write', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'file_share', 'app': 'models', 'indexes': [Index(fields=['user_id']), Index(fields=['school_class_id']), Index(fields=['course_id']), Index(fields=['team_id'])], 'pk_attr': 'id', 'table_description': 'Read (or read-write) access to a node and everything below it for one recipient: exactly one of'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TeamMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='team_memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharField(default='member', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'team_member', 'app': 'models', 'unique_together': (('team', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Space',
            name='team',
            field=fields.ForeignKeyField('models.Team', source_field='team_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='file_spaces', on_delete=OnDelete.CASCADE),
        ),
    ]
