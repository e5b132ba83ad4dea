"""Settings: the one home of shopbot's configuration.

Precedence, highest first: keyword arguments to :func:`load_settings`, ``SHOPBOT_*``
environment variables (``SHOPBOT_CHAT_MODEL=...``), the TOML config file, the defaults below.
The config file is the first of: ``$SHOPBOT_CONFIG``, ``./shopbot.toml``,
``$XDG_CONFIG_HOME/shopbot/config.toml``. Its keys are the field names::

    chat_model = "/models/my-model.gguf"
    embedder = "multilingual-e5-small"

Every default works offline. :func:`apply_environment` sets the variables that keep the
libraries we use from calling out (``HF_HUB_OFFLINE=1``, ``GRADIO_ANALYTICS_ENABLED=False``)
and OpenMP threads from spinning (``OMP_WAIT_POLICY=PASSIVE``: on a busy 2-core machine a
spinning wait made one query embedding take seconds instead of milliseconds), unless the user
has set them.
"""

from __future__ import annotations

import hmac
import importlib.util
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

MIN_MERCHANT_KEY_CHARS = 16
PROCESS_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "OMP_WAIT_POLICY": "PASSIVE",
}


def _long_enough(key: SecretStr) -> SecretStr:
    if len(key.get_secret_value()) < MIN_MERCHANT_KEY_CHARS:
        raise ValueError(f"a merchant API key needs at least {MIN_MERCHANT_KEY_CHARS} characters")
    return key


MerchantKey = Annotated[SecretStr, AfterValidator(_long_enough)]


def is_merchant_key(key: str | None, keys: Iterable[SecretStr | str]) -> bool:
    """Whether ``key`` (surrounding spaces ignored) is one of ``keys``, compared in constant time
    against every one; an empty key never is."""
    given = (key or "").strip().encode()
    known = [(k.get_secret_value() if isinstance(k, SecretStr) else k).encode() for k in keys]
    return bool(given) and any([hmac.compare_digest(given, k) for k in known])


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback) / "shopbot"


def demo_store_dir() -> Path:
    """The bundled demo catalog (Magento Luma sample store, AFL-3.0).

    Found without importing ``index`` (which loads FAISS), so settings stay cheap to read.
    """
    spec = importlib.util.find_spec("index")
    assert spec is not None and spec.submodule_search_locations, "the index package is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "demo_store"


def find_config_file() -> Path | None:
    """The config file in effect, or None when there is none."""
    explicit = os.environ.get("SHOPBOT_CONFIG")
    if explicit:
        if not Path(explicit).is_file():
            raise FileNotFoundError(f"SHOPBOT_CONFIG points at {explicit}, which does not exist")
        return Path(explicit)
    for candidate in (Path("shopbot.toml"), _xdg("XDG_CONFIG_HOME", ".config") / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


class Settings(BaseSettings):
    """Effective configuration. Field docs are what `shopbot config` shows."""

    model_config = SettingsConfigDict(env_prefix="SHOPBOT_", extra="forbid", validate_default=True)

    cache_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache"),
        description="Where bundled models are assembled and verified.",
    )
    data_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share"),
        description="Where indexes and conversation state live.",
    )
    catalog: Path = Field(
        default_factory=lambda: demo_store_dir() / "luma_products.jsonl",
        description="Product catalog (JSONL, JSON or CSV) indexed by `shopbot demo`.",
    )
    reviews: Path | None = Field(
        default_factory=lambda: demo_store_dir() / "luma_reviews.jsonl",
        description="Reviews file for the catalog, or none.",
    )
    index_dir: Path | None = Field(
        default=None, description="Catalog index directory; default: <data_dir>/indexes/demo."
    )
    chat_model: str = Field(
        default="qwen2.5-coder-1.5b-instruct",
        description="Chat model: a registry name (`shopbot models`), a GGUF file or a Hugging Face model directory.",
    )
    chat_backend: Literal["auto", "llama.cpp", "transformers", "openai"] = Field(
        default="auto",
        description="Chat model runtime: auto (transformers on a CUDA GPU, else llama.cpp), llama.cpp, "
        "transformers, or openai (an OpenAI-compatible server).",
    )
    chat_n_ctx: int = Field(
        default=4096, ge=256, description="Context window of a local chat model, in tokens."
    )
    chat_n_threads: int | None = Field(
        default=None,
        ge=1,
        description="CPU threads for llama.cpp; default: all cores. On a machine busy with other work, "
        "fewer threads than cores can be many times faster (llama.cpp threads spin while waiting).",
    )
    chat_n_gpu_layers: int = Field(
        default=0,
        description="Layers llama.cpp offloads to a GPU (needs a GPU build of llama-cpp-python; -1: all).",
    )
    chat_max_tokens: int = Field(
        default=512, ge=1, description="Most tokens the chat model writes per reply."
    )
    chat_temperature: float = Field(default=0.0, ge=0.0, description="Sampling temperature; 0 is greedy.")
    chat_seed: int | None = Field(
        default=None, description="Sampling seed for reproducible replies at temperature > 0."
    )
    chat_prefix_cache_mb: int = Field(
        default=512,
        ge=0,
        description="RAM for saved prompt KV states of interleaved chats (llama.cpp); 0: off.",
    )
    chat_queue_size: int = Field(
        default=8, ge=0, description="Requests that may wait for the chat model; more are answered 'busy'."
    )
    chat_deadline_s: float = Field(
        default=120.0,
        gt=0,
        description="Seconds a chat request may wait and generate before it is cancelled.",
    )
    openai_base_url: str = Field(
        default="http://127.0.0.1:8000/v1",
        description="With chat_backend=openai: base URL of the OpenAI-compatible server "
        "(vLLM, SGLang, llama.cpp server, Ollama; see docs/openai-compatible.md).",
    )
    openai_model: str | None = Field(
        default=None,
        description="With chat_backend=openai: model name to request; default: the only model the server serves.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, description="With chat_backend=openai: API key, if the server wants one."
    )
    embedder: str = Field(
        default="multilingual-e5-small",
        description=(
            "Embedding model for new indexes: a registry name, hashing-<dim> or a sentence-transformers "
            "directory. Default chosen by measurement (best on English and Chinese; docs/results/retrieval.md); "
            "use-multilingual-v3 matches better across languages but poorly on English titles."
        ),
    )
    currency_rates: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "What one unit of each currency is worth in a common unit, e.g. {USD = 1.0, CNY = 0.14}: a "
            "shopper's price limit in another currency than the catalog's is converted with them, and the "
            "reply says so; without rates for both, the reply asks for a budget in the catalog's currency."
        ),
    )
    web_host: str = Field(default="127.0.0.1", description="Address the web chat listens on.")
    web_port: int = Field(default=7860, description="Port of the web chat.")
    api_host: str = Field(default="127.0.0.1", description="Address the HTTP API and MCP endpoint listen on.")
    api_port: int = Field(
        default=8000, description="Port of the HTTP API (`shopbot api`) and `shopbot mcp --http`."
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description='Web origins allowed to call the HTTP API from a browser, e.g. ["https://shop.example.com"]; '
        "default: none (server-to-server calls need no CORS).",
    )
    api_rate_limit: str = Field(
        default="60/minute",
        pattern=r"^\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?\s*$",
        description="Requests per caller (a merchant key, else a client address) to the HTTP API and MCP "
        "endpoint, e.g. 60/minute or 1000 per hour; over it: 429 with Retry-After.",
    )
    api_max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest request body the HTTP API accepts (larger: 413)."
    )
    sessions: str | None = Field(
        default=None,
        description="Conversation store: a SQLite file, or a postgresql:// URL (pip install '.[postgres]') "
        "for several replicas; default: <data_dir>/sessions.sqlite.",
    )
    telegram_merchants: list[int] = Field(
        default_factory=list,
        description="Telegram user ids allowed to use the merchant commands /copy and /insights "
        "(environment: SHOPBOT_TELEGRAM_MERCHANTS='[123, 456]'); default: nobody.",
    )
    merchant_api_keys: Annotated[list[MerchantKey], NoDecode] = Field(
        default_factory=list,
        description="API keys that unlock the web chat's Merchant tab (promo copy, review dashboards), "
        f"each at least {MIN_MERCHANT_KEY_CHARS} characters (environment: SHOPBOT_MERCHANT_API_KEYS="
        "'key1,key2' or a JSON list; make one with `python -c 'import secrets; print(secrets.token_urlsafe(24))'`); "
        "default: none, the tab is disabled.",
    )

    @field_validator("merchant_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        """Keys from the environment (a JSON list or comma-separated) or the config file (a list),
        wrapped at once so that no error message shows one."""
        if isinstance(value, str):
            text = value.strip()
            try:
                value = json.loads(text) if text.startswith("[") else text.split(",")
            except json.JSONDecodeError as error:
                raise ValueError(f"merchant_api_keys: not a JSON list of strings ({error.msg})") from None
        if not isinstance(value, list):
            return value
        items = [item.strip() if isinstance(item, str) else item for item in value]
        return [SecretStr(item) if isinstance(item, str) else item for item in items if item != ""]

    customer_token_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Secret (32+ characters) with which the store's pages sign the logged-in customer id "
        "they pass to the web widget (a JWT, HS256, with sub and exp; docs/recommendations.md); unset: "
        "customer ids from pages are ignored and behaviour is per session.",
    )
    recommend_retrain_hours: float = Field(
        default=24.0,
        ge=0,
        description="While a server runs, retrain the recommender from the stored events this often "
        "(hours; 0: only by `shopbot recommend train`).",
    )

    @property
    def recommender_dir(self) -> Path:
        """Where the trained recommender lives (``shopbot recommend train`` swaps it in)."""
        return self.data_dir / "recommender"

    @property
    def effective_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "indexes" / "demo"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = find_config_file()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Settings from defaults, config file, environment and ``overrides`` (None values ignored)."""
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def apply_environment() -> None:
    """Offline libraries, passive OpenMP waits, unless the user chose otherwise (never overwrites)."""
    for key, value in PROCESS_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
