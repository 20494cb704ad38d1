"""Every SQLAlchemy model of every service, in one place (one metadata, one Alembic history)."""

from shared.models.base import SCHEMAS, Base
from shared.models.evaluation import Fact
from shared.models.platform import (
    OFFICE_ROLES,
    UNIT_ROLES,
    AuditLog,
    InboxEvent,
    JobRun,
    JobRunStatus,
    OutboxEvent,
    Role,
    Unit,
    UnitKind,
    User,
)
from shared.models.tasks import (
    Domain,
    Milestone,
    MilestoneState,
    Programme,
    ProgressReport,
    ReviewStatus,
    Task,
    TaskClass,
    TaskStatus,
    task_responsible_units,
)

__all__ = [
    "OFFICE_ROLES",
    "SCHEMAS",
    "UNIT_ROLES",
    "AuditLog",
    "Base",
    "Domain",
    "Fact",
    "InboxEvent",
    "JobRun",
    "JobRunStatus",
    "Milestone",
    "MilestoneState",
    "OutboxEvent",
    "Programme",
    "ProgressReport",
    "ReviewStatus",
    "Role",
    "Task",
    "TaskClass",
    "TaskStatus",
    "Unit",
    "UnitKind",
    "User",
    "task_responsible_units",
]
