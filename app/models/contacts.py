"""What the contacts area adds to the shared CRM tables: the owner's custom
field definitions and CSV imports (the uploaded file is kept in the row so any
worker process can run the import)."""
from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import JSONType, Timestamps, UUIDPrimaryKey


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
