"""What the contacts area adds to the shared CRM tables: the owner's custom
field definitions and CSV imports (the uploaded file is kept in the row so any
worker process can run the import)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey
from app.models.sync import SyncState


class CustomFieldType:
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    YES_NO = "boolean"
    ALL = (TEXT, NUMBER, DATE, YES_NO)
    LABELS = {TEXT: "Text", NUMBER: "Number", DATE: "Date", YES_NO: "Yes / no"}


class ContactFieldDefinition(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "contact_field_definitions"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(50), nullable=False)  # the key in Contact.custom_fields
    label: Mapped[str] = mapped_column(String(80), nullable=False)
    field_type: Mapped[str] = mapped_column(String(12), nullable=False, default=CustomFieldType.TEXT)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("business_id", "key", name="uq_contact_field_definitions_business_key"),)


class ImportStatus:
    UPLOADED = "uploaded"  # mapping and preview shown, not started
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ContactImport(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "contact_imports"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    job_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job_runs.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # Decoded text of the upload; bounded by MAX_CONTENT_LENGTH.
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    headers: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    # {"name": "Full name", "phone": "Mobile", ...}: contact field -> CSV column
    mapping: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=ImportStatus.UPLOADED)
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    merged_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # [{"row": 3, "errors": ["phone: ..."]}], row numbers as in a spreadsheet (header is row 1)
    row_errors: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_contact_imports_business_created", "business_id", "created_at"),)


class ImportMappingTemplate(UUIDPrimaryKey, Timestamps, db.Model):
    """A column mapping the owner saved (advanced CRM): CSV header -> contact field,
    applied to later uploads whose headers contain the template's columns."""

    __tablename__ = "contact_import_templates"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    mapping: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # target -> header

    __table_args__ = (UniqueConstraint("business_id", "name", name="uq_contact_import_templates_business_name"),)


class Contact(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "contacts"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    email: Mapped[str | None] = mapped_column(String(255))
    # The contact's own IANA zone when known; else their number's zone, else the business's
    # (app.timezones.recipient_zone). Campaign windows and SMS quiet hours use it.
    timezone: Mapped[str | None] = mapped_column(String(64))
    custom_fields: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="manual")
    sync_state: Mapped[str] = mapped_column(String(12), nullable=False, default=SyncState.SYNCED)
    sync_error: Mapped[str | None] = mapped_column(Text)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTC)
    last_interaction_at: Mapped[datetime | None] = mapped_column(UTC)
    deleted_at: Mapped[datetime | None] = mapped_column(UTC)
    # Set on the tombstone of a duplicate merged away (issue 19): calls and appointments 4calls
    # still files under the duplicate's remote id are linked to this contact instead.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))

    tags = relationship("ContactTag", cascade="all, delete-orphan", lazy="selectin", order_by="ContactTag.tag")

    __table_args__ = (
        UniqueConstraint("business_id", "remote_id", name="uq_contacts_business_remote"),
        Index("ix_contacts_business_name", "business_id", "name"),
        Index("ix_contacts_business_phone", "business_id", "phone"),
        Index("ix_contacts_business_email", "business_id", "email"),
        Index("ix_contacts_business_sync", "business_id", "sync_state"),
    )

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


# The contact that records filed under a contact's 4calls id belong to: itself, or
# the contact it was merged into (4calls may go on filing calls, appointments,
# messages and insights under a duplicate merged away).
KEPT_CONTACT_ID = func.coalesce(Contact.merged_into_id, Contact.id)


class ContactTag(db.Model):
    __tablename__ = "contact_tags"

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    # Denormalised so "contacts with tag X" is one index range per business.
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)

    __table_args__ = (Index("ix_contact_tags_business_tag", "business_id", "tag"),)
