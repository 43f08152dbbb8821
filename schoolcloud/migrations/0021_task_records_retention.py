from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from datetime import datetime, timezone

# The retention rule for task records of erased teachers (task_records_days, privacy/RETENTION.md) counts
# from the day the erasure kept them (kept_at). Records kept before this migration get its time: never
# earlier than the real day, so the rule deletes nothing sooner than the school set. The rule itself
# starts empty (kept while the task exists) for every school.
KEPT_NOW = datetime.now(timezone.utc).replace(microsecond=0).isoformat(" ")
FILL = [
    f"UPDATE task_work_folder SET kept_at = '{KEPT_NOW}' WHERE user_id IS NULL",
    f"UPDATE task_feedback_file SET kept_at = '{KEPT_NOW}' WHERE node_id IN (SELECT n.id FROM file_node n"
    " JOIN file_space s ON s.id = n.space_id WHERE s.kind = 'task_records')",
]


class Migration(migrations.Migration):
    dependencies = [('models', '0020_throttle_name_hashes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='FeedbackFile',
            name='kept_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='RetentionPolicy',
            name='task_records_days',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='WorkFolder',
            name='kept_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunSQL(FILL, reverse_sql=[]),
    ]
