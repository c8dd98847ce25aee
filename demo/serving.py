"""How one Gradio process keeps answering when many users arrive at once: two of gradio's costs
that grow with the page or with the traffic, cut without changing what anyone sees.

    from demo import serving    # importing it sets the analytics interval (before any queue exists)
    serving.install()           # lazy sessions, once, before the app serves (demo.app.launch does it)

* **Lazy sessions.** Gradio (6.31, ``gradio.state_holder.SessionState``) gives every new session
  a copy of every block's config, so that its updates (``gr.update``) and gradio's own deep links
  (``/gradio_api/deep_link``) start from it.  For this page that costs ~11 ms of the GIL per
  session; when 100 users arrive together (``benchmarks/load_test.py``: ~134 sessions, a drawing
  user's pad has two) it was a quarter of the server's work in the first seconds, ahead of every
  first answer.  Here a session copies a block's config the first time it is read, updated or
  listed (the deep link lists them all, in the page's order), so what each session sees is
  unchanged: ``tests/test_serving.py`` compares it with gradio's own class.
* **The monitoring summary.** After every event gradio's queue rebuilds a pandas table of the
  last 10,000 events for its monitoring dashboard (``GRADIO_ANALYTICS_CACHE_FREQUENCY``, default:
  every event), which this app does not enable: ~10% of the server's time under load, growing
  with the traffic.  Here it is rebuilt every ``ANALYTICS_EVERY`` events unless the variable is set.
"""
from __future__ import annotations

import os
from copy import copy

from gradio import state_holder

_GRADIO_SESSION = state_holder.SessionState
ANALYTICS_EVERY = 1000   # events between rebuilds of gradio's monitoring summary
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(ANALYTICS_EVERY))


class LazyConfigs(dict):
    """A session's ``config_values``: {block id: its config dict}, each made on first use.
    ``blocks_config`` is the session's, ``ids`` the blocks the page has (gradio's filter)."""

    def __init__(self, blocks_config, ids):
        super().__init__()
        self._blocks_config, self._ids = blocks_config, ids

    def _fill(self, key) -> bool:
        """Make `key`'s config if the page has that block and it is not made yet."""
        if dict.__contains__(self, key):
            return True
        blocks = self._blocks_config.blocks
        if key in self._ids and key in blocks:
            dict.__setitem__(self, key, self._blocks_config.config_for_block(key, [], blocks[key]))
            return True
        return False

    def __contains__(self, key) -> bool:
        return self._fill(key)

    def __getitem__(self, key):
        self._fill(key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        return dict.__getitem__(self, key) if self._fill(key) else default

    def _all(self) -> list:
        """Every block's config made, in the page's order as gradio's copy has them: blocks
        first as the page lists them, then any key set later that the page does not have."""
        for key in list(self._blocks_config.blocks):
            self._fill(key)
        order = [k for k in self._blocks_config.blocks if dict.__contains__(self, k)]
        placed = set(order)
        return order + [k for k in dict.keys(self) if k not in placed]

    def keys(self):
        return self._all()

    def __iter__(self):
        return iter(self._all())

    def items(self):
        return [(k, dict.__getitem__(self, k)) for k in self._all()]

    def values(self):
        return [dict.__getitem__(self, k) for k in self._all()]

    def __len__(self) -> int:
        return len(self._all())


class LazySessionState(_GRADIO_SESSION):
    """gradio's SessionState with ``config_values`` made block by block, on first use."""

    def __init__(self, blocks):  # gradio's __init__ but for the eager config copy
        self.blocks_config = copy(blocks.default_config)
        self.config_values = LazyConfigs(self.blocks_config, blocks.blocks)
        self.state_data = {}
        self._state_ttl = {}
        self.is_closed = False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600


def install() -> None:
    """Make gradio's sessions lazy for this process (idempotent)."""
    state_holder.SessionState = LazySessionState


def uninstall() -> None:
    """Gradio's own sessions again (tests compare the two)."""
    state_holder.SessionState = _GRADIO_SESSION
