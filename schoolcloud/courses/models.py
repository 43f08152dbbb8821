"""Lessons of a course with their content blocks, and the school-wide material library.

A lesson is hidden from pupils while ``publish_at`` is empty (a draft) or in the future. Content
blocks point at files and folders of the course's space (``node``), so the files layer keeps the
bytes, the quota and the permissions; a block only says where in the lesson they appear.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BlockKind:
    TEXT = "text"  # Markdown, stored with its sanitised HTML rendering
    FILE = "file"
    FOLDER = "folder"
    LINK = "link"
    IMAGE = "image"  # an image file of the course space, shown inline
    TASK = "task"  # a link to a task of the course (the tasks domain renders it)
    ALL = (TEXT, FILE, FOLDER, LINK, IMAGE, TASK)
    WITH_NODE = (FILE, FOLDER, IMAGE)


class Lesson(Model):
    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="lessons", on_delete=fields.CASCADE)
    course = fields.ForeignKeyField("models.Course", related_name="lessons", on_delete=fields.CASCADE)
    position = fields.IntField(default=0)
    title = fields.CharField(max_length=200)
    # The day of the lesson, or the Monday of its week when ``by_week`` (shown as "week 12").
    date = fields.DateField(null=True)
    by_week = fields.BooleanField(default=False)
    description = fields.TextField(default="")
    # None: a draft, only the course's teachers see it; otherwise pupils see it from this moment on.
    publish_at = fields.DatetimeField(null=True)
    # Colleagues (teachers of the school) may view and copy a shared lesson.
    shared = fields.BooleanField(default=False)
    created_by = fields.ForeignKeyField("models.User", related_name="created_lessons", null=True,
                                        on_delete=fields.SET_NULL)
    # Erasure (Art. 17): the pseudonym of the deleted author (privacy/pseudonyms.py), shown instead of a name.
    created_by_pseudonym = fields.CharField(max_length=8, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "course_lesson"
        indexes = (("course_id", "position"), ("course_id", "date"), ("school_id", "shared"))


class LessonBlock(Model):
    id = fields.IntField(primary_key=True)
    lesson = fields.ForeignKeyField("models.Lesson", related_name="blocks", on_delete=fields.CASCADE)
    position = fields.IntField(default=0)
    kind = fields.CharField(max_length=8)
    text = fields.TextField(default="")  # Markdown source of a text block
    html = fields.TextField(default="")  # its sanitised rendering, made when saved
    node = fields.ForeignKeyField("models.Node", related_name="lesson_blocks", null=True,
                                  on_delete=fields.SET_NULL)
    url = fields.CharField(max_length=2000, default="")
    title = fields.CharField(max_length=200, default="")  # link text, image description, caption
    # A task of the course; a plain number so that courses does not depend on the tasks domain.
    task_id = fields.IntField(null=True)

    class Meta:
        table = "course_lesson_block"
        indexes = (("lesson_id", "position"),)


class Licence:
    CC0 = "cc0"
    CC_BY = "cc-by"
    CC_BY_SA = "cc-by-sa"
    CC_BY_NC = "cc-by-nc"
    CC_BY_NC_SA = "cc-by-nc-sa"
    CC_BY_ND = "cc-by-nd"
    SCHOOL_ONLY = "school"
    ALL = (CC0, CC_BY, CC_BY_SA, CC_BY_NC, CC_BY_NC_SA, CC_BY_ND, SCHOOL_ONLY)


class LibraryEntry(Model):
    """A lesson or a file a teacher published to the school's material library."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="library_entries", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=8)  # "lesson" | "file"
    lesson = fields.ForeignKeyField("models.Lesson", related_name="library_entries", null=True,
                                    on_delete=fields.CASCADE)
    node = fields.ForeignKeyField("models.Node", related_name="library_entries", null=True,
                                  on_delete=fields.CASCADE)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    subject = fields.CharField(max_length=100)
    subject_key = fields.CharField(max_length=100)  # case-folded, for the indexed search
    grade_from = fields.SmallIntField()
    grade_to = fields.SmallIntField()
    licence = fields.CharField(max_length=16)
    published_by = fields.ForeignKeyField("models.User", related_name="library_entries", null=True,
                                          on_delete=fields.SET_NULL)
    # Erasure (Art. 17): the pseudonym of the deleted publisher (privacy/pseudonyms.py), shown instead of a name.
    published_by_pseudonym = fields.CharField(max_length=8, default="", db_default="")
    published_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "library_entry"
        indexes = (("school_id", "subject_key", "published_at"), ("school_id", "published_at"))


class LibraryKeyword(Model):
    id = fields.IntField(primary_key=True)
    entry = fields.ForeignKeyField("models.LibraryEntry", related_name="keywords", on_delete=fields.CASCADE)
    school = fields.ForeignKeyField("models.School", related_name="library_keywords", on_delete=fields.CASCADE)
    keyword = fields.CharField(max_length=50)  # case-folded

    class Meta:
        table = "library_keyword"
        unique_together = (("entry", "keyword"),)
        indexes = (("school_id", "keyword"),)
