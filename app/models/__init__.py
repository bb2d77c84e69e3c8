"""All models, imported here so Alembic and `db.create_all` see every table."""
from app.models.business import WEEKDAYS, Business
from app.models.billing import BillingAccount, BillingInvoice, BillingStatus, SubscriptionHistory
from app.models.assistant import Coordinator, CoordinatorStatus
from app.models.chat import ChatConversation, ChatMessage, ChatWidget
from app.models.appointments import AppointmentReminder, AppointmentSettings, ReminderStatus
from app.models.contacts import ContactFieldDefinition, ContactImport, CustomFieldType, ImportStatus
from app.models.crm import Appointment, Call, Contact, ContactTag, SyncState
from app.models.integration import (
    AIServiceUsage,
    FourCallsIntegration,
    IntegrationStatus,
    JobRun,
)
from app.models.leads import Lead
from app.models.packages import AIServicePackage
from app.models.sync import SyncCursor
from app.models.usage import UsageNotice
from app.models.user import User
from app.models.audit import AuditEntry, AuditScope
from app.models.mail import EmailStatus, OutboundEmail
from app.models.do_not_contact import DoNotContactChannel, DoNotContactEntry, DoNotContactSource
from app.models.webhooks import WebhookEvent
# -- accounts and teams (issue 12)
from app.models.accounts import RecoveryCode, UserSession
from app.models.embed_refusals import EmbedRefusal
from app.models.teams import Invitation, Membership, Role

__all__ = [
    "RecoveryCode",
    "UserSession",
    "EmbedRefusal",
    "Invitation",
    "Membership",
    "Role",
    "EmailStatus",
    "OutboundEmail",
    "AuditEntry",
    "AuditScope",
    "DoNotContactChannel",
    "DoNotContactEntry",
    "DoNotContactSource",
    "BillingAccount",
    "BillingInvoice",
    "BillingStatus",
    "SubscriptionHistory",
    "Coordinator",
    "CoordinatorStatus",
    "WebhookEvent",
    "AIServicePackage",
    "Appointment",
    "AppointmentReminder",
    "AppointmentSettings",
    "ContactFieldDefinition",
    "ContactImport",
    "CustomFieldType",
    "ImportStatus",
    "ReminderStatus",
    "Call",
    "ChatConversation",
    "ChatMessage",
    "ChatWidget",
    "Lead",
    "Contact",
    "ContactTag",
    "SyncState",
    "AIServiceUsage",
    "Business",
    "FourCallsIntegration",
    "IntegrationStatus",
    "JobRun",
    "SyncCursor",
    "UsageNotice",
    "User",
    "WEEKDAYS",
]
