"""Pages being built in this session (issue 9); the routes land with their templates and tests."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
