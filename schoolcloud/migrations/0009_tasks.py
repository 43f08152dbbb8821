from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_link_label')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Task',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.CASCADE)),
                ('course', fields.ForeignKeyField('models.Course', source_field='course_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.CASCADE)),
                ('lesson', fields.ForeignKeyField('models.Lesson', source_field='lesson_id', null=True, db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.SET_NULL)),
                ('title', fields.CharField(max_length=200)),
                ('instructions', fields.TextField(default='', unique=False)),
                ('instructions_html', fields.TextField(default='', unique=False)),
                ('available_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('late_allowed', fields.BooleanField(default=False)),
                ('audience', fields.CharField(default='course', max_length=8)),
                ('group_submission', fields.BooleanField(default=False)),
                ('grade_scale', fields.CharField(default='grades', max_length=8)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_tasks', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'task', 'app': 'models', 'indexes': [Index(fields=['course_id', 'available_from']), Index(fields=['course_id', 'due_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('key', fields.CharField(max_length=40)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'unique_together': (('user', 'key'),), 'indexes': [Index(fields=['user_id', 'read_at']), Index(fields=['user_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "An in-app notice for one user. The text is made when shown (in the reader's language) from the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaskGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='groups', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
            ],
            options={'table': 'task_group', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A group of pupils that hands in one submission together (tasks with group submission).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Submission',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='submissions', on_delete=OnDelete.CASCADE)),
                ('pupil', fields.ForeignKeyField('models.User', source_field='pupil_id', null=True, db_constraint=True, to_field='id', related_name='task_submissions', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.TaskGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='submissions', on_delete=OnDelete.CASCADE)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('late', fields.BooleanField(default=False)),
                ('versions_count', fields.IntField(default=0)),
                ('grade', fields.CharField(default='', max_length=4)),
                ('feedback', fields.TextField(default='', unique=False)),
                ('feedback_html', fields.TextField(default='', unique=False)),
                ('graded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('graded_by', fields.ForeignKeyField('models.User', source_field='graded_by_id', null=True, db_constraint=True, to_field='id', related_name='graded_submissions', on_delete=OnDelete.SET_NULL)),
                ('feedback_released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'task_submission', 'app': 'models', 'unique_together': (('task', 'pupil'), ('task', 'group')), 'indexes': [Index(fields=['task_id', 'graded_at'])], 'pk_attr': 'id', 'table_description': "What one pupil (or one group) handed in for a task: the latest version's summary, and the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedbackFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('file_version', fields.ForeignKeyField('models.FileVersion', source_field='file_version_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(max_length=255)),
                ('size', fields.BigIntField(default=0)),
                ('content_type', fields.CharField(default='', max_length=255)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', db_constraint=True, to_field='id', related_name='feedback_files', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'task_feedback_file', 'app': 'models', 'pk_attr': 'id'},
            bases=['_FileRef'],
        ),
        ops.CreateModel(
            name='SubmissionVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('submission', fields.ForeignKeyField('models.Submission', source_field='submission_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('text', fields.TextField(default='', unique=False)),
                ('submitted_by', fields.ForeignKeyField('models.User', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name='submission_versions', on_delete=OnDelete.SET_NULL)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('late', fields.BooleanField(default=False)),
            ],
            options={'table': 'task_submission_version', 'app': 'models', 'unique_together': (('submission', 'number'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubmittedFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('file_version', fields.ForeignKeyField('models.FileVersion', source_field='file_version_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(max_length=255)),
                ('size', fields.BigIntField(default=0)),
                ('content_type', fields.CharField(default='', max_length=255)),
                ('version', fields.ForeignKeyField('models.SubmissionVersion', source_field='version_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'task_submitted_file', 'app': 'models', 'pk_attr': 'id'},
            bases=['_FileRef'],
        ),
        ops.CreateModel(
            name='TaskMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('pupil', fields.ForeignKeyField('models.User', source_field='pupil_id', db_constraint=True, to_field='id', related_name='task_memberships', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.TaskGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'task_member', 'app': 'models', 'unique_together': (('task', 'pupil'),), 'indexes': [Index(fields=['pupil_id', 'task_id'])], 'pk_attr': 'id', 'table_description': 'A pupil the task is for (audience ``chosen``), in a group when the task has group submission.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkFolder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='work_folders', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='task_work_folders', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=40)),
                ('node', fields.ForeignKeyField('models.Node', source_field='node_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'task_work_folder', 'app': 'models', 'unique_together': (('task', 'user', 'key'),), 'pk_attr': 'id', 'table_description': "The folder in a user's personal space that uploads for a task go to (created on first use)."},
            bases=['Model'],
        ),
    ]
