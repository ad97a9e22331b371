"""One ``Settings`` for the API and the workers, read from ``TRAINSERVE_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration; every field can be set as ``TRAINSERVE_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="TRAINSERVE_", extra="ignore")

    home: Path = Field(
        Path("~/.trainserve"),
        description="Where the embedded Redis keeps its data and models are stored.",
    )
    redis_url: str | None = Field(
        None, description="Redis to use; when unset an embedded Redis is started under home."
    )
    artifacts_dir: Path | None = Field(
        None, description="Where SavedModels are written; defaults to <home>/artifacts."
    )
    data_dir: Path | None = Field(None, description="Searched first for data set files.")
    datasets_dir: Path | None = Field(
        None, description="Where uploaded data sets are kept; defaults to <home>/datasets."
    )
    api_keys: str | None = Field(
        None,
        description="Comma-separated API keys, each optionally `key:train` or `key:predict`; "
        "unset: the key in <home>/api-key (created on first start).",
    )
    api_key: str | None = Field(None, description="The key the SDK, CLI and demo send.")
    max_body_bytes: int = Field(64 * 2**20, ge=1024, description="Largest request body (413).")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    worker_concurrency: int = Field(1, ge=1, description="Training processes per worker.")
    worker_heartbeat_seconds: float = Field(5.0, gt=0)
    predict_max_instances: int = Field(10_000, ge=1, description="Rows accepted per call.")
    predict_batching: bool = Field(
        True, description="Batch concurrent predict requests into one inference call."
    )
    predict_max_batch_size: int = Field(256, ge=1, description="Rows per batched call.")
    predict_batch_wait_ms: float = Field(
        0.0,
        ge=0.0,
        le=1000.0,
        description="How long a batch waits for more rows; 0 takes only those already queued, "
        "so an idle server adds no wait.",
    )
    model_cache_size: int = Field(8, ge=1, description="SavedModels kept loaded by the API.")
    api_tf_threads: int = Field(
        1, ge=0, description="TensorFlow threads for inference in the API (0: TF's default)."
    )
    metrics_public: bool = Field(
        True,
        description="Serve GET /metrics without an API key (Prometheus scrapers send none); "
        "false: any valid key may read it.",
    )

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def artifacts_root(self) -> Path:
        return (self.artifacts_dir or self.home_dir / "artifacts").expanduser().resolve()

    @property
    def datasets_root(self) -> Path:
        return (self.datasets_dir or self.home_dir / "datasets").expanduser().resolve()

    @property
    def tensorboard_root(self) -> Path:
        """TensorBoard event files, one directory per job: ``tensorboard --logdir`` this."""
        return self.home_dir / "tensorboard"


@lru_cache
def get_settings() -> Settings:
    """The process's settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
