"""A second DeclarativeBase by mistake: its table is not on the target MetaData."""

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class LegacyBase(DeclarativeBase):
    pass


class AuditEntry(LegacyBase):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(sa.String(200))
