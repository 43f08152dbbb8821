from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_data_export')]

    initial = False

    operations = [
        ops.AddField(
            model_name='School',
            name='city',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
        ops.AddField(
            model_name='School',
            name='dpo_email',
            field=fields.CharField(default='', db_default='', max_length=254),
        ),
        ops.AddField(
            model_name='School',
            name='dpo_name',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
        ops.AddField(
            model_name='School',
            name='dpo_phone',
            field=fields.CharField(default='', db_default='', max_length=40),
        ),
        ops.AddField(
            model_name='School',
            name='email',
            field=fields.CharField(default='', db_default='', max_length=254),
        ),
        ops.AddField(
            model_name='School',
            name='head_name',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
        ops.AddField(
            model_name='School',
            name='phone',
            field=fields.CharField(default='', db_default='', max_length=40),
        ),
        ops.AddField(
            model_name='School',
            name='postal_code',
            field=fields.CharField(default='', db_default='', max_length=10),
        ),
        ops.AddField(
            model_name='School',
            name='street',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
    ]
