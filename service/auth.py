"""Bearer-token authentication with scopes, as route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.errors import Forbidden, Unauthorized
from trainserve.auth import ApiKey, find_key


# Both dependencies are `async` although they await nothing: FastAPI runs a plain `def`
# dependency in a thread pool, a thread hop per request that halved predict throughput.
async def _key(request: Request) -> ApiKey:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("an API key is required: send `Authorization: Bearer <key>`")
    key = find_key(request.app.state.api_keys, presented.strip())
    if key is None:
        raise Unauthorized("the API key is not valid")
    return key


def require(scope: str):
    """A dependency that lets a request through only with a key holding ``scope``."""

    async def check(key: Annotated[ApiKey, Depends(_key)]) -> ApiKey:
        if scope not in key.scopes:
            raise Forbidden(
                f"this API key may not {scope}; its scope is {', '.join(sorted(key.scopes))}"
            )
        return key

    return Depends(check)


AnyKey = Depends(_key)
TRAIN, PREDICT = require("train"), require("predict")
