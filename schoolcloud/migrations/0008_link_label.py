from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_planning')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PublicLink',
            name='label',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
    ]
