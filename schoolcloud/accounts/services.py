"""The accounts domain's logic, callable without HTTP (pages, JSON API and CLI share it).

Every function takes the acting ``User`` first, checks what that user may do (permissions.py) and touches
only rows of the actor's school. Validation problems raise ``ValidationError`` with one ``AppError`` per
field. The implementation is split by topic; import from here.
"""

from schoolcloud.accounts.import_service import (  # noqa: F401
    ImportPreview,
    ImportRejected,
    ImportResult,
    commit_import,
    preview_import,
)
from schoolcloud.accounts.services_base import (  # noqa: F401
    Credentials,
    CredentialsBatch,
    Page,
    client_ip,
    render_letters_pdf,
)
from schoolcloud.accounts.services_classes import (  # noqa: F401
    add_class_members,
    change_course_members,
    class_members,
    course_member_ids,
    courses_of,
    create_class,
    create_course,
    delete_class,
    delete_course,
    get_class,
    get_course,
    list_classes,
    list_courses,
    remove_class_members,
    school_years,
    update_class,
    update_course,
)
from schoolcloud.accounts.services_schools import (  # noqa: F401
    activate_school,
    create_first_admin,
    create_school,
    deactivate_school,
    get_school,
    list_schools,
    school_overview,
    update_school,
)
from schoolcloud.accounts.services_users import (  # noqa: F401
    Conflict,
    create_user,
    deactivate_user,
    delete_check,
    delete_user,
    get_user,
    list_users,
    may_reset_password,
    reactivate_user,
    reset_password,
    school_of,
    school_user,
    teacher_class_ids,
    unique_username,
    update_user,
)
from schoolcloud.accounts.validation import current_school_year  # noqa: F401
