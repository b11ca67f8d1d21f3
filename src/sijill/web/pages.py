"""Server-rendered pages. The foundation serves the home page; later issues add the rest."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, lang: str = "ar") -> HTMLResponse:
    language = "fr" if lang == "fr" else "ar"
    return templates.TemplateResponse(request, "home.html", {"lang": language})
