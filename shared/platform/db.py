"""Async engine and sessions (SQLAlchemy 2 + asyncpg)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .settings import asyncpg_url


def make_engine(database_url: str, *, pool_size: int = 5) -> AsyncEngine:
    return create_async_engine(asyncpg_url(database_url), pool_size=pool_size, max_overflow=5, pool_pre_ping=True)


