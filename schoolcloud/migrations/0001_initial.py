from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='LoginThrottle',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=200)),
                ('failures', fields.IntField(default=0)),
                ('window_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idp_login_throttle', 'app': 'models', 'pk_attr': 'key', 'table_description': 'Failed-login counters: per account+IP, per account, per IP (see idp/throttle.py).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='School',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('school_number', fields.CharField(null=True, unique=True, max_length=32)),
                ('state', fields.CharField(default='', description='Land code, e.g. NI, NW, BY', max_length=2)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'school', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', null=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.CharField(default='', max_length=64)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('target_type', fields.CharField(default='', max_length=32)),
                ('target_id', fields.CharField(default='', max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ip', fields.CharField(default='', description='truncated: /24 for IPv4, /48 for IPv6', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('hash', fields.CharField(unique=True, max_length=64)),
            ],
            options={'table': 'audit_event', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SigningKey',
            fields=[
                ('kid', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('private_pem', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'idp_signing_key', 'app': 'models', 'pk_attr': 'kid'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.UUIDField(default=uuid4, unique=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', null=True, db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharField(db_index=True, max_length=16)),
                ('username', fields.CharField(unique=True, max_length=150)),
                ('given_name', fields.CharField(max_length=100)),
                ('family_name', fields.CharField(max_length=100)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('birth_date', fields.DateField(null=True)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('must_change_password', fields.BooleanField(default=False)),
                ('active', fields.BooleanField(default=True)),
                ('external_issuer', fields.CharField(null=True, max_length=255)),
                ('external_subject', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'user_account', 'app': 'models', 'unique_together': (('external_issuer', 'external_subject'),), 'indexes': [Index(fields=['school_id', 'role', 'family_name'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthorizationCode',
            fields=[
                ('code_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('client_id', fields.CharField(max_length=100)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='idp_codes', on_delete=OnDelete.CASCADE)),
                ('redirect_uri', fields.TextField(unique=False)),
                ('scope', fields.CharField(max_length=255)),
                ('nonce', fields.CharField(default='', max_length=255)),
                ('code_challenge', fields.CharField(max_length=128)),
                ('auth_time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idp_authorization_code', 'app': 'models', 'pk_attr': 'code_hash'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginSession',
            fields=[
                ('id_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('id_token', fields.TextField(default='', unique=False)),
                ('refresh_token', fields.TextField(default='', unique=False)),
                ('access_token_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_session', 'app': 'models', 'pk_attr': 'id_hash'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('token_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('client_id', fields.CharField(max_length=100)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='idp_refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('scope', fields.CharField(max_length=255)),
                ('auth_time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('code_hash', fields.CharField(default='', db_index=True, max_length=64)),
            ],
            options={'table': 'idp_refresh_token', 'app': 'models', 'pk_attr': 'token_hash'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SchoolClass',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='classes', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=32)),
                ('grade_level', fields.SmallIntField()),
                ('school_year', fields.CharField(description='e.g. 2026/27', max_length=9)),
                ('members', fields.ManyToManyField('models.User', unique=True, db_constraint=True, through='class_member', forward_key='user_id', backward_key='school_class_id', related_name='classes', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'school_class', 'app': 'models', 'unique_together': (('school', 'school_year', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Course',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='courses', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('subject', fields.CharField(default='', max_length=100)),
                ('school_year', fields.CharField(max_length=9)),
                ('classes', fields.ManyToManyField('models.SchoolClass', unique=True, db_constraint=True, through='course_class', forward_key='schoolclass_id', backward_key='course_id', related_name='courses', on_delete=OnDelete.CASCADE)),
                ('teachers', fields.ManyToManyField('models.User', unique=True, db_constraint=True, through='course_teacher', forward_key='user_id', backward_key='course_id', related_name='taught_courses', on_delete=OnDelete.CASCADE)),
                ('pupils', fields.ManyToManyField('models.User', unique=True, db_constraint=True, through='course_pupil', forward_key='user_id', backward_key='course_id', related_name='attended_courses', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'course', 'app': 'models', 'unique_together': (('school', 'school_year', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
