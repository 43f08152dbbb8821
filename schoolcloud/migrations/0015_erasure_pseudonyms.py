from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_encryption')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Lesson',
            name='created_by_pseudonym',
            field=fields.CharField(default='', db_default='', max_length=8),
        ),
        ops.AddField(
            model_name='LibraryEntry',
            name='published_by_pseudonym',
            field=fields.CharField(default='', db_default='', max_length=8),
        ),
        ops.AddField(
            model_name='PlanRevision',
            name='author_pseudonym',
            field=fields.CharField(default='', db_default='', max_length=8),
        ),
        ops.AddField(
            model_name='PlanStatusChange',
            name='actor_pseudonym',
            field=fields.CharField(default='', db_default='', max_length=8),
        ),
    ]
