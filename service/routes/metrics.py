"""``GET /metrics`` for Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.exposition import choose_encoder

from service.auth import _key as authenticate


async def metrics_access(request: Request) -> None:
    """Open to scrapers (they send no key) unless TRAINSERVE_METRICS_PUBLIC is false;
    then any valid key, of any scope."""
    if not request.app.state.settings.metrics_public:
        await authenticate(request)


router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    dependencies=[Depends(metrics_access)],
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(request: Request) -> Response:
    """Prometheus metrics in the text exposition format."""
    # A plain `def`: collecting reads Redis with the blocking client, in the thread pool.
    encode, content_type = choose_encoder(request.headers.get("accept"))  # OpenMetrics too
    return Response(encode(request.app.state.metrics.registry), media_type=content_type)
