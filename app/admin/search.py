"""The operator's business list: search by name or city, claimed first, in pages."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Business

PAGE_SIZE = 50


def search_businesses(query: str, page: int, page_size: int = PAGE_SIZE) -> tuple[list[Business], int]:
    """(the businesses on `page`, how many match in all)."""
    stmt = select(Business).options(selectinload(Business.integration), selectinload(Business.owner))
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(Business.name).like(like), func.lower(Business.city).like(like)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Business.owner_id.is_(None), Business.name).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return list(rows), total
