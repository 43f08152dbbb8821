from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

# Shares get their recipient in one column and a unique (node, recipient_key), so two identical shares
# created at the same moment can no longer make two rows. Rows from before get their key; duplicates
# (same node and recipient) are merged into the oldest row, which keeps write access if any of them had it.
FILL = [
    "UPDATE file_share SET recipient_key = CASE"
    " WHEN user_id IS NOT NULL THEN 'user:' || CAST(user_id AS VARCHAR(12))"
    " WHEN school_class_id IS NOT NULL THEN 'class:' || CAST(school_class_id AS VARCHAR(12))"
    " WHEN course_id IS NOT NULL THEN 'course:' || CAST(course_id AS VARCHAR(12))"
    " ELSE 'team:' || CAST(team_id AS VARCHAR(12)) END",
    "UPDATE file_share SET can_write = TRUE WHERE EXISTS (SELECT 1 FROM file_share other"
    " WHERE other.node_id = file_share.node_id AND other.recipient_key = file_share.recipient_key"
    " AND other.can_write = TRUE)",
    "DELETE FROM file_share WHERE EXISTS (SELECT 1 FROM file_share other"
    " WHERE other.node_id = file_share.node_id AND other.recipient_key = file_share.recipient_key"
    " AND other.id < file_share.id)",
]


class Migration(migrations.Migration):
    dependencies = [('models', '0018_task_records')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Share',
            name='recipient_key',
            field=fields.CharField(max_length=32, null=True),
        ),
        ops.RunSQL(FILL, reverse_sql=[]),
        ops.AlterField(
            model_name='Share',
            name='recipient_key',
            field=fields.CharField(max_length=32),
        ),
        ops.AddConstraint(
            model_name='Share',
            constraint=UniqueConstraint(fields=('node', 'recipient_key'), name=None),
        ),
    ]
