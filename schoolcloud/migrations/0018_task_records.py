from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_school_contact')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Space',
            name='records_course',
            field=fields.ForeignKeyField('models.Course', source_field='records_course_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='task_record_spaces', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Task',
            name='created_by_pseudonym',
            field=fields.CharField(default='', db_default='', max_length=8),
        ),
        ops.AlterField(
            model_name='WorkFolder',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='task_work_folders', on_delete=OnDelete.CASCADE),
        ),
    ]
