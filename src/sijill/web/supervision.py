"""The supervisors' pages (province, region, nation): the funnel from the RNP to AMO Tadamon,
the anomaly alerts, the ageing of files and the data rules over time. Each reads through its
context's service, which filters by the reader's territory in the query itself."""

from __future__ import annotations

from fastapi import APIRouter

from sijill.web import supervision_ageing, supervision_alerts, supervision_funnel, supervision_trends

router = APIRouter(include_in_schema=False)
for pages in (supervision_funnel, supervision_alerts, supervision_ageing, supervision_trends):
    router.include_router(pages.router)
