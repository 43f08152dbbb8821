from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_previews')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Lesson',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='lessons', on_delete=OnDelete.CASCADE)),
                ('course', fields.ForeignKeyField('models.Course', source_field='course_id', db_constraint=True, to_field='id', related_name='lessons', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
                ('title', fields.CharField(max_length=200)),
                ('date', fields.DateField(null=True)),
                ('by_week', fields.BooleanField(default=False)),
                ('description', fields.TextField(default='', unique=False)),
                ('publish_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('shared', fields.BooleanField(default=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_lessons', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'course_lesson', 'app': 'models', 'indexes': [Index(fields=['course_id', 'position']), Index(fields=['course_id', 'date']), Index(fields=['school_id', 'shared'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LessonBlock',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lesson', fields.ForeignKeyField('models.Lesson', source_field='lesson_id', db_constraint=True, to_field='id', related_name='blocks', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
                ('kind', fields.CharField(max_length=8)),
                ('text', fields.TextField(default='', unique=False)),
                ('html', fields.TextField(default='', unique=False)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', null=True, db_constraint=True, to_field='id', related_name='lesson_blocks', on_delete=OnDelete.SET_NULL)),
                ('url', fields.CharField(default='', max_length=2000)),
                ('title', fields.CharField(default='', max_length=200)),
                ('task_id', fields.IntField(null=True)),
            ],
            options={'table': 'course_lesson_block', 'app': 'models', 'indexes': [Index(fields=['lesson_id', 'position'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LibraryEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='library_entries', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=8)),
                ('lesson', fields.ForeignKeyField('models.Lesson', source_field='lesson_id', null=True, db_constraint=True, to_field='id', related_name='library_entries', on_delete=OnDelete.CASCADE)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', null=True, db_constraint=True, to_field='id', related_name='library_entries', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('subject', fields.CharField(max_length=100)),
                ('subject_key', fields.CharField(max_length=100)),
                ('grade_from', fields.SmallIntField()),
                ('grade_to', fields.SmallIntField()),
                ('licence', fields.CharField(max_length=16)),
                ('published_by', fields.ForeignKeyField('models.User', source_field='published_by_id', null=True, db_constraint=True, to_field='id', related_name='library_entries', on_delete=OnDelete.SET_NULL)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'library_entry', 'app': 'models', 'indexes': [Index(fields=['school_id', 'subject_key', 'published_at']), Index(fields=['school_id', 'published_at'])], 'pk_attr': 'id', 'table_description': "A lesson or a file a teacher published to the school's material library."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LibraryKeyword',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entry', fields.ForeignKeyField('models.LibraryEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='keywords', on_delete=OnDelete.CASCADE)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='library_keywords', on_delete=OnDelete.CASCADE)),
                ('keyword', fields.CharField(max_length=50)),
            ],
            options={'table': 'library_keyword', 'app': 'models', 'unique_together': (('entry', 'keyword'),), 'indexes': [Index(fields=['school_id', 'keyword'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
