"""The model side: the `LLM` interface every engine implements, and the engines.

  protocol   `LLM` (what stages and the pipeline call), `Completion`, the one `chat_json` (`ChatJSON`)
  engine     the llama.cpp engine, one loaded model per process (`Engine`, `get_engine`)
  batch      several partitions' calls as sequences of one llama.cpp context (`BatchEngine`);
             import it from builders.llm.batch (it loads llama_cpp at import)
  callcache  the persistent LLM-call cache, an engine around an engine (`CachedEngine`, `ChainBroken`)
  metering   token and time totals (`Usage`, `ModelWork`) and the engine that counts them (`Metered`)
  prefixes   the KV prefix store, pinned prefixes and replies' own tokens (the engines' prompt reuse)
  sampling   grammar-constrained sampling with the grammar checked last
  loaded     the engines this process has loaded, each once
"""

from builders.llm.callcache import CachedEngine, CallCache, ChainBroken
from builders.llm.engine import Engine, get_engine
from builders.llm.loaded import loaded_engines
from builders.llm.metering import Metered, ModelWork, Usage
from builders.llm.protocol import LLM, ChatJSON, Completion, parse_json

__all__ = ["LLM", "ChatJSON", "Completion", "parse_json", "Engine", "get_engine", "CachedEngine", "CallCache",
           "ChainBroken", "Metered", "ModelWork", "Usage", "loaded_engines"]
