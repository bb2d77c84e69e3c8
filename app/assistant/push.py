"""The sync job: make 4calls match what our database says a business has.

It is idempotent and resumable. Every step first looks at what is already
done (locally, then in 4calls), every create carries an Idempotency-Key
derived from our own ids, and each confirmed step is committed at once. So a
run that dies anywhere (4calls errors, a worker crash between "organization
created" and "key stored") is simply run again, and the end state is the same:
one organization, the package's coordinators, the key stored encrypted.
"""
from __future__ import annotations

import logging
import uuid

from flask import current_app
from sqlalchemy import select, update

from app.appointments.settings import check_organization_zone, ensure_settings, mark_schedule_synced
from app.extensions import db
from app.fourcalls.client import FourCallsClient, client_with_key, platform_client
from app.fourcalls.errors import Conflict, FourCallsError, NotFound, Unauthorized, ValidationError, plain_words
from app.assistant.keys import key_fingerprint, organization_key, store_organization_key
from app.assistant.organization import digest, organization_fields
from app.assistant.provisioning import PUSH_JOB_KIND, mark_synced_if_current
from app.assistant.refusals import record_refusal, widget_coordinator_remote_id
from app.assistant.scripting import default_coordinator
from app.jobs.records import recorded_run, update_progress
from app.models import Business, CallHandling, Coordinator, CoordinatorStatus, FourCallsIntegration, IntegrationStatus
from app.models.base import utcnow
from app.packages.catalog import get_package

log = logging.getLogger(__name__)

# Passes per run before leaving the rest to the next run (changes keep coming in).
MAX_PASSES = 5


class PermanentFailure(Exception):
    """A failure retrying cannot fix (4calls refused our data or credentials)."""


class OrganizationGone(Exception):
    """4calls no longer has the organization we recorded."""


def run_push(business_id: uuid.UUID, run_id: str | None = None) -> None:
    """Job body; see app/assistant/jobs.py::push_assistant."""
    try:
        with recorded_run(PUSH_JOB_KIND, business_id, run_id) as run:
            try:
                AssistantPush(business_id, run).run()
            except Exception as exc:
                db.session.rollback()
                final = not _retryable(exc) or run.attempts > len(current_app.config["JOB_RETRY_INTERVALS"])
                _record_failure(business_id, exc, final)
                if not _retryable(exc):
                    raise PermanentFailure(plain_words(exc)) from exc
                raise
    except PermanentFailure:
        pass  # recorded on the run and the integration; repeating would fail the same way


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, FourCallsError):
        return exc.retryable
    return True  # our own database or network trouble: worth another go


def _record_failure(business_id: uuid.UUID, exc: BaseException, final: bool) -> None:
    integration = db.session.scalar(select(FourCallsIntegration).where(FourCallsIntegration.business_id == business_id))
    if integration is None:
        return
    words = plain_words(exc)
    if not final:
        words += " We will keep trying automatically."
    integration.last_error = words
    integration.last_error_at = utcnow()
    if final and integration.target_status == "active" and integration.status == IntegrationStatus.PROVISIONING:
        integration.status = IntegrationStatus.ERROR
        integration.status_reason = words
    db.session.commit()
    log.warning("4calls sync for business %s failed (%s, final=%s)", business_id, type(exc).__name__, final)


# ---------------------------------------------------------------- the job


class AssistantPush:
    def __init__(self, business_id: uuid.UUID, run):
        self.business_id = business_id
        self.run_record = run
        self.platform: FourCallsClient = platform_client()
        self.created_organization_now = False

    # -- helpers -----------------------------------------------------------

    def progress(self, percent: int, step: str) -> None:
        update_progress(self.run_record, percent, step=step)

    def org_client(self) -> FourCallsClient:
        return client_with_key(organization_key(self.integration))

    def with_org_key(self, call):
        """Run `call(client)` with the organization key, replacing a key 4calls
        no longer accepts (revoked, or lost in a crash) once."""
        try:
            return call(self.org_client())
        except Unauthorized:
            self.replace_key()
            return call(self.org_client())

    # -- the run -------------------------------------------------------------

    def run(self) -> None:
        for _ in range(MAX_PASSES):
            self.integration = db.session.scalar(
                select(FourCallsIntegration).where(FourCallsIntegration.business_id == self.business_id)
            )
            if self.integration is None:
                return
            self.business = db.session.get(Business, self.business_id)
            version = self.integration.desired_version
            try:
                self.sync_once()
            except OrganizationGone:
                self.forget_organization()
                self.sync_once()
            if self.finish(version):
                return

    def sync_once(self) -> None:
        target = self.integration.target_status
        if target == "active":
            # Hours, zone and appointment types travel with the organization,
            # so the first call the AI books is in the business's own schedule.
            settings = ensure_settings(self.business)
            db.session.commit()
            schedule_version = settings.updated_at
            self.progress(10, "Creating the 4calls organization")
            self.ensure_organization()
            self.progress(35, "Sending the business profile, hours and appointment types")
            if not self.created_organization_now:
                self.push_organization("active")
            mark_schedule_synced(settings.id, schedule_version)
            self.reconcile_coordinators()
            self.progress(90, "Sending the call-handling rules")
            self.push_call_handling()
            self.progress(92, "Checking the assistants")
            self.retire_unknown_coordinators()
        elif target == "suspended":
            if self.integration.organization_id:
                self.progress(40, "Pausing the assistant")
                self.push_organization("suspended")
                self.push_coordinator_edits()
                self.push_call_handling()
        elif target == "cancelled":
            if self.integration.organization_id:
                self.progress(40, "Retiring the assistants")
                self.retire_all_coordinators()
                self.push_organization("suspended")

    def finish(self, version: int) -> bool:
        target = self.integration.target_status
        values = {"last_error": None, "last_error_at": None, "last_synced_at": utcnow()}
        if target == "active":
            values.update(status=IntegrationStatus.ACTIVE, status_reason=None,
                          activated_at=self.integration.activated_at or utcnow())
        elif target == "suspended":
            values["status"] = IntegrationStatus.SUSPENDED
        else:
            values["status"] = IntegrationStatus.CANCELLED
        done = mark_synced_if_current(self.integration.id, version, values)
        db.session.expire_all()
        return done

    # -- organization --------------------------------------------------------

    def ensure_organization(self) -> None:
        integration = self.integration
        if integration.organization_id and integration.api_key:
            return
        if not integration.organization_id:
            external_id = str(self.business.id)
            organization = self.platform.find_organization_by_external_id(external_id)
            if organization is None:
                fields = organization_fields(self.business)
                try:
                    created = self.platform.create_organization(
                        fields, idempotency_key=f"alphasite:{self.business.id}:organization:create:{digest(fields)}"
                    )
                except Conflict as exc:
                    # Created by an earlier attempt whose answer never reached us.
                    if not exc.existing_id:
                        raise
                    organization = {"id": exc.existing_id}
                else:
                    check_organization_zone(self.business, created)
                    integration.organization_id = created["id"]
                    store_organization_key(integration, created["api_key"])
                    db.session.commit()
                    self.created_organization_now = True
                    return
            integration.organization_id = organization["id"]
            db.session.commit()
        # We know the organization but hold no key for it: issue a new one.
        self.replace_key()

    def replace_key(self) -> None:
        integration = self.integration
        try:
            issued = self.platform.rotate_organization_key(
                integration.organization_id,
                idempotency_key=(
                    f"alphasite:{self.business.id}:organization:{integration.organization_id}"
                    f":key:replace:{key_fingerprint(integration)}"
                ),
            )
        except NotFound as exc:
            raise OrganizationGone() from exc
        store_organization_key(integration, issued["api_key"])
        db.session.commit()

    def push_organization(self, status: str) -> None:
        fields = organization_fields(self.business)
        fields["status"] = status
        try:
            organization = self.platform.update_organization(self.integration.organization_id, fields)
        except NotFound as exc:
            raise OrganizationGone() from exc
        check_organization_zone(self.business, organization or {})

    def forget_organization(self) -> None:
        """4calls lost the organization (e.g. a reset sandbox): start over with
        a new one, keeping the owner's coordinator texts."""
        log.warning("4calls organization of business %s is gone; provisioning a new one", self.business_id)
        integration = self.integration
        integration.organization_id = ""
        integration.api_key = ""
        integration.coordinator_id = None
        db.session.execute(
            update(Coordinator)
            .where(Coordinator.business_id == self.business_id, Coordinator.status.in_(CoordinatorStatus.LIVE))
            .values(fourcalls_id=None, status=CoordinatorStatus.CREATING, synced_version=0, phone_number=None)
        )
        db.session.execute(
            update(Coordinator)
            .where(Coordinator.business_id == self.business_id, Coordinator.status == CoordinatorStatus.RETIRING)
            .values(status=CoordinatorStatus.RETIRED, fourcalls_id=None, retired_at=utcnow())
        )
        db.session.execute(update(CallHandling).where(CallHandling.business_id == self.business_id).values(applied=None))
        db.session.commit()
        self.created_organization_now = False

    # -- coordinators ----------------------------------------------------------

    def live_coordinators(self) -> list[Coordinator]:
        return list(db.session.scalars(
            select(Coordinator)
            .where(Coordinator.business_id == self.business_id, Coordinator.status.in_(CoordinatorStatus.LIVE))
            .order_by(Coordinator.position, Coordinator.created_at)
        ))

    def plan_coordinators(self) -> list[Coordinator]:
        """Match the package's roles to the coordinators we have; new rows for
        missing roles, extras marked for retirement. Committed before any call
        to 4calls, so a re-run finds the same plan (and the same idempotency keys)."""
        package = get_package(self.integration.service_package)
        wanted = list(package.coordinator_roles) if package else []
        available = self.live_coordinators()
        planned: list[Coordinator] = []
        for position, role in enumerate(wanted):
            match = next((c for c in available if c.slot == role), None)
            if match is not None:
                available.remove(match)
                match.position = position
            else:
                ordinal = sum(1 for r in wanted[:position] if r == role)
                match = self.new_coordinator(role, position, ordinal)
            planned.append(match)
        for extra in available:
            extra.status = CoordinatorStatus.RETIRING if extra.fourcalls_id else CoordinatorStatus.RETIRED
            if extra.status == CoordinatorStatus.RETIRED:
                extra.retired_at = utcnow()
        db.session.commit()
        return planned

    def new_coordinator(self, role: str, position: int, ordinal: int) -> Coordinator:
        # A role that existed before (package downgraded and upgraded again,
        # or cancelled and bought again) comes back with the owner's texts.
        previous = db.session.scalar(
            select(Coordinator)
            .where(Coordinator.business_id == self.business_id, Coordinator.slot == role,
                   Coordinator.status == CoordinatorStatus.RETIRED)
            .order_by(Coordinator.retired_at.desc().nulls_last(), Coordinator.created_at.desc())
            .offset(ordinal)
            .limit(1)
        )
        if previous is not None:
            texts = {name: getattr(previous, name) for name in
                     ("role", "name", "greeting", "persona", "script", "goals", "voice", "languages", "pace")}
        else:
            texts = {"role": role, **default_coordinator(self.business, role, ordinal)}
        row = Coordinator(business_id=self.business_id, slot=role, position=position,
                          status=CoordinatorStatus.CREATING, version=1, synced_version=0, **texts)
        db.session.add(row)
        return row

    def reconcile_coordinators(self) -> None:
        planned = self.plan_coordinators()
        total = max(1, len(planned))
        for index, row in enumerate(planned):
            self.progress(40 + int(50 * index / total), f"Setting up {row.name}")
            if row.fourcalls_id is None:
                self.create_coordinator(row)
            elif row.pending_sync:
                self.push_coordinator(row)
        self.retire_marked_coordinators()
        # The integration's coordinator is the one chatting on the widget.
        primary = widget_coordinator_remote_id(self.business_id, planned)
        if self.integration.coordinator_id != primary:
            self.integration.coordinator_id = primary
            db.session.commit()

    def create_coordinator(self, row: Coordinator) -> None:
        version = row.version
        fields = row.remote_fields()
        created = self.with_org_key(lambda client: client.create_coordinator(
            self.integration.organization_id, fields,
            idempotency_key=f"alphasite:coordinator:{row.id}:v{version}",
        ))
        row.fourcalls_id = created["id"]
        row.phone_number = created.get("phone_number")
        row.status = CoordinatorStatus.ACTIVE
        row.synced_version = max(row.synced_version, version)
        row.applied = fields
        row.last_error = None
        db.session.commit()

    def push_coordinator(self, row: Coordinator) -> None:
        version = row.version
        fields = row.remote_fields()
        try:
            self.with_org_key(lambda client: client.update_coordinator(row.fourcalls_id, fields))
        except ValidationError as exc:
            # 4calls refused this edit: its previous settings stay live. Record
            # what it said; the edit is not pushed again until the owner changes it.
            record_refusal(Coordinator, self.business_id, row.id, version, exc)
            return
        except (NotFound, Conflict):
            # Retired or removed on 4calls' side: replace it, keeping its texts.
            row.fourcalls_id = None
            row.status = CoordinatorStatus.CREATING
            db.session.commit()
            self.create_coordinator(row)
            return
        # Only synced_version is written, so an edit saved meanwhile stays pending.
        db.session.execute(
            update(Coordinator).where(Coordinator.business_id == self.business_id, Coordinator.id == row.id,
                                      Coordinator.synced_version < version)
            .values(synced_version=version, last_error=None, applied=fields)
        )
        db.session.commit()

    def push_coordinator_edits(self) -> None:
        for row in self.live_coordinators():
            if row.fourcalls_id and row.pending_sync:
                self.push_coordinator(row)

    def push_call_handling(self) -> None:
        from app.assistant.handling import handling_or_none, remote_rules

        handling = handling_or_none(self.business_id)
        if handling is None or handling.refused:
            return
        version = handling.version
        rules = remote_rules(handling)
        # Also re-sent when a coordinator it names got a new 4calls id.
        if not handling.pending_sync and rules == handling.applied:
            return
        try:
            self.with_org_key(lambda client: client.update_call_handling(self.integration.organization_id, rules))
        except ValidationError as exc:
            record_refusal(CallHandling, self.business_id, handling.id, version, exc)
            return
        db.session.execute(
            update(CallHandling).where(CallHandling.business_id == self.business_id, CallHandling.id == handling.id,
                                       CallHandling.synced_version < version)
            .values(synced_version=version, last_error=None, applied=rules)
        )
        db.session.commit()

    def retire_marked_coordinators(self) -> None:
        rows = db.session.scalars(
            select(Coordinator).where(Coordinator.business_id == self.business_id,
                                      Coordinator.status == CoordinatorStatus.RETIRING)
        ).all()
        for row in rows:
            try:
                self.with_org_key(lambda client: client.retire_coordinator(row.fourcalls_id))
            except NotFound:
                pass  # already gone: exactly what we wanted
            row.status = CoordinatorStatus.RETIRED
            row.retired_at = utcnow()
            db.session.commit()

    def retire_all_coordinators(self) -> None:
        for row in self.live_coordinators():
            row.status = CoordinatorStatus.RETIRING if row.fourcalls_id else CoordinatorStatus.RETIRED
            if row.status == CoordinatorStatus.RETIRED:
                row.retired_at = utcnow()
        db.session.commit()
        self.retire_marked_coordinators()
        self.retire_unknown_coordinators()
        self.integration.coordinator_id = None
        db.session.commit()

    def retire_unknown_coordinators(self) -> None:
        """Retire active coordinators in 4calls that we do not hold: ones
        created by an attempt whose answer was lost after its Idempotency-Key
        expired. Without this a business could end up with an extra assistant."""
        known = {c.fourcalls_id for c in self.live_coordinators() if c.fourcalls_id}
        remote = self.with_org_key(
            lambda client: list(client.list_coordinators(self.integration.organization_id, status="active"))
        )
        for coordinator in remote:
            if coordinator["id"] not in known:
                log.warning("retiring unrecorded 4calls coordinator %s of business %s", coordinator["id"], self.business_id)
                self.with_org_key(lambda client: client.retire_coordinator(coordinator["id"]))

