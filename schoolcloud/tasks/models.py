"""Tasks of a course, the pupils' submissions (every version kept), teachers' feedback and grades, the
work folders in the files layer that uploads go to, and in-app notifications.

Files are never owned here: attachments, submitted files and feedback files are files of the files
layer (quota, streaming, resumable uploads, fsck), uploaded into a *work folder* in the uploader's
personal space. A submission version records which file versions it contained (``SubmittedFile``), so
a later upload of the same name does not change what was handed in. See ``schoolcloud/tasks/README.md``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Audience:
    COURSE = "course"  # every pupil of the course, also those who join later
    CHOSEN = "chosen"  # the pupils listed in TaskMember (with their group for group submissions)
    ALL = (COURSE, CHOSEN)


class GradeScale:
    GRADES = "grades"  # 1+ .. 6 (Sekundarstufe I)
    POINTS = "points"  # 15 .. 0 (gymnasiale Oberstufe)
    NONE = "none"
    ALL = (GRADES, POINTS, NONE)


class Task(Model):
    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="tasks", on_delete=fields.CASCADE)
    course = fields.ForeignKeyField("models.Course", related_name="tasks", on_delete=fields.CASCADE)
    # Optionally the lesson (of the same course) the task belongs to; the task stays if the lesson goes.
    lesson = fields.ForeignKeyField("models.Lesson", related_name="tasks", null=True, on_delete=fields.SET_NULL)
    title = fields.CharField(max_length=200)
    instructions = fields.TextField(default="")  # Markdown as written
    instructions_html = fields.TextField(default="")  # rendered and sanitised on save
    # Pupils see the task from this moment on (its creation, unless the teacher picks a later time).
    available_from = fields.DatetimeField()
    due_at = fields.DatetimeField(null=True)
    late_allowed = fields.BooleanField(default=False)
    audience = fields.CharField(max_length=8, default=Audience.COURSE)
    group_submission = fields.BooleanField(default=False)
    grade_scale = fields.CharField(max_length=8, default=GradeScale.GRADES)
    # Closed by a teacher: no more submissions or changes, late or not.
    closed_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField("models.User", related_name="created_tasks", null=True,
                                        on_delete=fields.SET_NULL)
    created_by_pseudonym = fields.CharField(max_length=8, default="", db_default="")  # privacy/pseudonyms.py
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "task"
        indexes = (("course_id", "available_from"), ("course_id", "due_at"))


class TaskGroup(Model):
    """A group of pupils that hands in one submission together (tasks with group submission)."""

    id = fields.IntField(primary_key=True)
    task = fields.ForeignKeyField("models.Task", related_name="groups", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=100)

    class Meta:
        table = "task_group"


class TaskMember(Model):
    """A pupil the task is for (audience ``chosen``), in a group when the task has group submission."""

    id = fields.IntField(primary_key=True)
    task = fields.ForeignKeyField("models.Task", related_name="members", on_delete=fields.CASCADE)
    pupil = fields.ForeignKeyField("models.User", related_name="task_memberships", on_delete=fields.CASCADE)
    group = fields.ForeignKeyField("models.TaskGroup", related_name="members", null=True,
                                   on_delete=fields.CASCADE)

    class Meta:
        table = "task_member"
        unique_together = (("task", "pupil"),)
        indexes = (("pupil_id", "task_id"),)


class Submission(Model):
    """What one pupil (or one group) handed in for a task: the latest version's summary, and the
    teacher's feedback and grade, which the pupil sees once ``feedback_released_at`` is set."""

    id = fields.IntField(primary_key=True)
    task = fields.ForeignKeyField("models.Task", related_name="submissions", on_delete=fields.CASCADE)
    pupil = fields.ForeignKeyField("models.User", related_name="task_submissions", null=True,
                                   on_delete=fields.CASCADE)
    group = fields.ForeignKeyField("models.TaskGroup", related_name="submissions", null=True,
                                   on_delete=fields.CASCADE)
    submitted_at = fields.DatetimeField()  # of the latest version
    late = fields.BooleanField(default=False)  # the latest version came after the due date
    versions_count = fields.IntField(default=0)
    grade = fields.CharField(max_length=4, default="")
    feedback = fields.TextField(default="")  # Markdown as written
    feedback_html = fields.TextField(default="")
    graded_at = fields.DatetimeField(null=True)
    graded_by = fields.ForeignKeyField("models.User", related_name="graded_submissions", null=True,
                                       on_delete=fields.SET_NULL)
    feedback_released_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task_submission"
        unique_together = (("task", "pupil"), ("task", "group"))
        indexes = (("task_id", "graded_at"),)


class SubmissionVersion(Model):
    id = fields.IntField(primary_key=True)
    submission = fields.ForeignKeyField("models.Submission", related_name="versions", on_delete=fields.CASCADE)
    number = fields.IntField()
    text = fields.TextField(default="")  # plain text, shown escaped
    submitted_by = fields.ForeignKeyField("models.User", related_name="submission_versions", null=True,
                                          on_delete=fields.SET_NULL)
    submitted_at = fields.DatetimeField()
    late = fields.BooleanField(default=False)

    class Meta:
        table = "task_submission_version"
        unique_together = (("submission", "number"),)


class _FileRef(Model):
    """A file of the files layer as it was at one moment: the node and the exact file version."""

    id = fields.IntField(primary_key=True)
    node = fields.ForeignKeyField("models.Node", related_name=False, null=True, on_delete=fields.SET_NULL)
    file_version = fields.ForeignKeyField("models.FileVersion", related_name=False, null=True,
                                          on_delete=fields.SET_NULL)
    name = fields.CharField(max_length=255)
    size = fields.BigIntField(default=0)
    content_type = fields.CharField(max_length=255, default="")

    class Meta:
        abstract = True


class SubmittedFile(_FileRef):
    version = fields.ForeignKeyField("models.SubmissionVersion", related_name="files", on_delete=fields.CASCADE)

    class Meta:
        table = "task_submitted_file"


class FeedbackFile(_FileRef):
    submission = fields.ForeignKeyField("models.Submission", related_name="feedback_files",
                                        on_delete=fields.CASCADE)
    # When the giving teacher's erasure moved the file into the task records (tasks/records.py): the
    # retention rule ``task_records_days`` counts from it. NULL while the teacher's account exists.
    kept_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task_feedback_file"


class WorkPurpose:
    ATTACHMENTS = "attachments"  # a teacher's material for the task
    SUBMISSION = "submission"  # a pupil's files to hand in
    FEEDBACK = "feedback"  # a teacher's feedback files for one submission


class WorkFolder(Model):
    """The folder in a user's personal space that uploads for a task go to (created on first use).

    A teacher's material and feedback folders outlive the teacher's account: erasure moves them into the
    course's task records and sets ``user`` to NULL (tasks/records.py); the other rows of an erased
    account go with it."""

    id = fields.IntField(primary_key=True)
    task = fields.ForeignKeyField("models.Task", related_name="work_folders", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="task_work_folders", null=True,
                                  on_delete=fields.CASCADE)
    # purpose, and for feedback ":<submission id>": unique per task and user
    key = fields.CharField(max_length=40)
    node = fields.ForeignKeyField("models.Node", related_name=False, on_delete=fields.CASCADE)
    # When the teacher's erasure moved the folder into the task records (as FeedbackFile.kept_at).
    kept_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task_work_folder"
        unique_together = (("task", "user", "key"),)


class NotificationKind:
    NEW_TASK = "new_task"
    DUE_SOON = "due_soon"
    FEEDBACK = "feedback"
    RETENTION = "retention"  # to school admins: retention rules not applied until confirmed (privacy)


class Notification(Model):
    """An in-app notice for one user. The text is made when shown (in the reader's language) from the
    kind and the task; ``key`` keeps one notice per event (e.g. ``due_soon:12``)."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=16)
    key = fields.CharField(max_length=40)
    task = fields.ForeignKeyField("models.Task", related_name="notifications", null=True,
                                  on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        unique_together = (("user", "key"),)
        indexes = (("user_id", "read_at"), ("user_id", "created_at"))
