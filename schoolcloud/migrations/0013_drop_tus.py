from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_retention')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='TusUpload',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='tus_uploads', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='TusUpload',
            name='link',
            field=fields.ForeignKeyField('models.PublicLink', source_field='link_id', null=True, db_constraint=True, to_field='id', related_name='tus_uploads', on_delete=OnDelete.SET_NULL),
        ),
    ]
