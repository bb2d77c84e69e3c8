"""Contact jobs: thin wrappers taking ids."""
from __future__ import annotations


def push_contact_job(contact_id: str) -> str:
    from app.contacts.push import push_contact

    return push_contact(contact_id)


def sweep_pending_contacts_job() -> int:
    from app.contacts.push import sweep_pending_contacts

    return sweep_pending_contacts()


def run_import_job(import_id: str) -> None:
    from app.contacts.importer import run_import

    run_import(import_id)


def push_pending_batch_job(business_id: str, round_number: int = 0) -> int:
    from app.contacts.push import push_pending_batch

    return push_pending_batch(business_id, round_number)
