from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_tasks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountRestriction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='restriction', on_delete=OnDelete.CASCADE)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='account_restrictions', on_delete=OnDelete.CASCADE)),
                ('frozen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('frozen_by', fields.CharField(default='', description='pseudonym (public id)', max_length=64)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('was_active', fields.BooleanField(default=True)),
            ],
            options={'table': 'privacy_account_restriction', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Art. 18 restriction: the account is frozen, it cannot log in and nobody changes it or its data.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Consent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharField(max_length=64)),
                ('given_by', fields.CharField(description='self | parent', max_length=16)),
                ('text_version', fields.CharField(max_length=32)),
                ('granted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded_by', fields.CharField(default='', max_length=64)),
                ('note', fields.CharField(default='', description="e.g. the paper form's date or reference", max_length=200)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdrawn_by', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'privacy_consent', 'app': 'models', 'indexes': [Index(fields=['user_id', 'purpose', 'withdrawn_at'])], 'pk_attr': 'id', 'table_description': 'One consent to one processing purpose (see purposes.py), given by the person themselves or, for a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PrivacyLock',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'privacy_lock', 'app': 'models', 'pk_attr': 'key', 'table_description': 'One running export or erasure per account across app instances: the insert of the key is the'},
            bases=['Model'],
        ),
    ]
