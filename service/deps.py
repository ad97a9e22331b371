"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from celery import Celery
from fastapi import Depends, Request

from service.inference import InferenceEngine
from trainserve.registry import ModelRegistry
from trainserve.settings import Settings
from trainserve.store import JobStore


def _state(request: Request):
    return request.app.state


def get_store(request: Request) -> JobStore:
    return _state(request).store


def get_registry(request: Request) -> ModelRegistry:
    return _state(request).registry


def get_engine(request: Request) -> InferenceEngine:
    return _state(request).engine


def get_celery(request: Request) -> Celery:
    return _state(request).celery


def get_app_settings(request: Request) -> Settings:
    return _state(request).settings


StoreDep = Annotated[JobStore, Depends(get_store)]
RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]
EngineDep = Annotated[InferenceEngine, Depends(get_engine)]
CeleryDep = Annotated[Celery, Depends(get_celery)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
