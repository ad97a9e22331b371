"""What users write by hand: a FastAPI endpoint that calls ``model.predict`` per request.

python bench/naive_server.py --model-dir <SavedModel dir> --port 8100
"""

from __future__ import annotations

import argparse

import keras
import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel


class Body(BaseModel):
    instances: list[list[float]]


def make_app(model_dir: str) -> FastAPI:
    inputs = keras.Input(shape=(784,))
    outputs = keras.layers.TFSMLayer(model_dir, call_endpoint="serving_default")(inputs)
    model = keras.Model(inputs, outputs["probabilities"])
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/predict")
    def predict(body: Body) -> dict:
        probabilities = model.predict(np.array(body.instances, dtype=np.float32), verbose=0)
        return {
            "predictions": [
                {"label": int(p.argmax()), "probabilities": p.tolist()} for p in probabilities
            ]
        }

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(make_app(args.model_dir), host="127.0.0.1", port=args.port, log_level="warning")
