from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_drop_tus')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharField(unique=True, max_length=64)),
                ('wrapped', fields.CharField(description='base64 of nonce + AES-GCM(master key, data key)', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'files_data_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A data key of encryption at rest (see ``keyring.py``): 32 random bytes, stored only wrapped by the'},
            bases=['Model'],
        ),
    ]
