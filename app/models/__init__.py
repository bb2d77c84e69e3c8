"""All models, imported here so Alembic and `db.create_all` see every table."""
from app.models.business import WEEKDAYS, Business
from app.models.billing import BillingAccount, BillingInvoice, BillingStatus, SubscriptionHistory
from app.models.assistant import Coordinator, CoordinatorStatus
from app.models.chat import ChatConversation, ChatMessage, ChatWidget
from app.models.appointments import AppointmentReminder, AppointmentSettings, ReminderStatus
from app.models.contacts import ContactFieldDefinition, ContactImport, CustomFieldType, ImportMappingTemplate, ImportStatus
from app.models.appointments import Appointment
from app.models.calls import Call
from app.models.contacts import Contact, ContactTag
from app.models.sync import SyncState
from app.models.integration import FourCallsIntegration, IntegrationStatus
from app.models.usage import AIServiceUsage
from app.models.jobs import JobRun
from app.models.leads import Lead
from app.models.packages import AIServicePackage
from app.models.sync import SyncCursor
from app.models.usage import UsageNotice
from app.models.user import User
from app.models.audit import AuditEntry, AuditScope
from app.models.mail import EmailStatus, OutboundEmail
from app.models.jobs import DeferredJob
from app.models.do_not_contact import DoNotContactChannel, DoNotContactEntry, DoNotContactSource
from app.models.webhooks import WebhookEvent
# -- operator console (issue 16)
from app.models.operator import MetricSnapshot, OperatorSetting, SatisfactionRating, WaitlistEntry
# -- receptionist setup, messages taken, notifications (issue 13)
from app.models.assistant import CallAction, CallHandling
from app.models.notifications import DeliveryStatus, Notification, NotificationDelivery, NotificationSettings
from app.models.taken_messages import TakenMessage
# -- leads and messaging (issue 15)
from app.models.leads import LeadSource, LeadStatus, Qualification
from app.models.messaging import (
    ContactMessage,
    MessageDirection,
    MessagePurpose,
    MessageState,
    MessageTemplate,
    MessagingSettings,
    TextBack,
)

# -- analytics (issue 18)
from app.models.analytics import (
    CallDailyRollup,
    CallHourlyRollup,
    CallQuestion,
    CallRollupState,
    CallTopicRollup,
    ContactInsight,
    ReportSettings,
    ReportShareLink,
    SavedReport,
)
# -- custom integrations and support (issue 19)
from app.models.outgoing_webhooks import OutgoingEvent, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from app.models.api_tokens import ApiToken, TokenScope
from app.models.support import (
    AccountManagerAssignment,
    SupportMessage,
    SupportRequest,
    SupportResponseTarget,
    SupportStatus,
)
# -- campaigns (issue 14)
from app.models.campaigns import (Campaign, CampaignDial, CampaignStatus, CampaignTarget, ContactConsent,
                                  ContactSegment, DialState, ImportedContact, SkipReason, TargetStatus)
# -- accounts and teams (issue 12)
from app.models.accounts import RecoveryCode, UserSession
from app.models.embed_refusals import EmbedRefusal
from app.models.teams import Invitation, Membership, Role
# -- advanced scheduling (issue 19)
from app.models.scheduling import ScheduleClosure, SlotClaim, StaffKind, StaffMember


__all__ = [
    "RecoveryCode",
    "UserSession",
    "EmbedRefusal",
    "Invitation",
    "Membership",
    "Role",
    # -- custom integrations and support (issue 19)
    "AccountManagerAssignment", "ApiToken", "OutgoingEvent", "SupportMessage", "SupportRequest",
    "SupportResponseTarget", "SupportStatus", "TokenScope", "WebhookAttempt", "WebhookDelivery",
    "WebhookDeliveryStatus", "WebhookEndpoint",
    # -- analytics (issue 18)
    "CallDailyRollup",
    "CallHourlyRollup",
    "CallQuestion",
    "CallRollupState",
    "CallTopicRollup",
    "ContactInsight",
    "ReportSettings",
    "ReportShareLink",
    "SavedReport",
    "DeferredJob",
    "EmailStatus",
    "OutboundEmail",
    # -- operator console (issue 16)
    "MetricSnapshot",
    "OperatorSetting",
    "SatisfactionRating",
    "WaitlistEntry",
    # -- leads and messaging (issue 15)
    "ContactMessage", "LeadSource", "LeadStatus", "MessageDirection", "MessagePurpose", "MessageState",
    "MessageTemplate", "MessagingSettings", "Qualification", "TextBack",
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
    "ImportMappingTemplate",
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
    # -- issue 13
    "CallAction",
    "CallHandling",
    "DeliveryStatus",
    "Notification",
    "NotificationDelivery",
    "NotificationSettings",
    "TakenMessage",
    # -- campaigns (issue 14)
    "Campaign", "CampaignDial", "CampaignStatus", "CampaignTarget", "ContactConsent", "ContactSegment",
    "DialState", "SkipReason", "TargetStatus", "ImportedContact",
    # -- advanced scheduling (issue 19)
    "ScheduleClosure", "SlotClaim", "StaffKind", "StaffMember",
]

# -- knowledge base (issue 19)
from app.models.knowledge import KnowledgeKind, KnowledgeSource, KnowledgeStatus  # noqa: E402

__all__ += ["KnowledgeKind", "KnowledgeSource", "KnowledgeStatus"]
