"""Request body size limit (FastAPI has none of its own)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413: at once when Content-Length says so;
    a body without one (chunked) is read up to the limit first, then handed on."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(scope, send, int(declared))
        if declared is not None:
            return await self.app(scope, receive, send)  # the server enforces its length
        messages, received = [], 0
        while True:
            message = await receive()
            messages.append(message)
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                return await self._refuse(scope, send, received)
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    def _message(self, size: int) -> str:
        return (
            f"the request body ({size:,} bytes or more) is over the limit of "
            f"{self.max_bytes:,} bytes (TRAINSERVE_MAX_BODY_BYTES); send fewer rows per call"
        )

    async def _refuse(self, scope: Scope, send: Send, size: int) -> None:
        import orjson

        path = scope.get("path", "")
        message = self._message(size)
        body = (
            {"error": message}
            if path.startswith(("/v1/", "/v2/"))
            else {"detail": message, "message": message}
        )
        payload = orjson.dumps(body)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
