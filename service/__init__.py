"""The FastAPI app: schemas, routes, the job store clients and the inference engine."""
