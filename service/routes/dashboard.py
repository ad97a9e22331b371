"""The dashboard: one static page at `/` that drives the JSON API from the browser.

The page and its scripts need no API key (they hold no data); every call the page makes
sends the key the user typed in, so the data stays behind the same auth as the API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Browsers revalidate (cheap, ETag) instead of running an old script after an upgrade.
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)
_files = StaticFiles(directory=STATIC_DIR)


@router.get("/")
def dashboard() -> FileResponse:
    """The dashboard page."""
    return FileResponse(STATIC_DIR / "index.html", headers=NO_CACHE)


@router.get("/static/{name}")
async def static_file(name: str, request: Request) -> Response:
    """The page's scripts and style sheet (StaticFiles refuses paths outside the folder)."""
    response = await _files.get_response(name, request.scope)
    response.headers.update(NO_CACHE)
    return response
