"""A trained network handed back by a training job (demo.train.pool): its weights and their JSON,
to open in the lens or to download.

    weights = job.result()                  # Weights, or None
    weights.model()                         # a DigitModel / CharModel: every trace, edit and why
    weights.save("out_dir", "mine")         # out_dir/digits_mine.* (char_mine.* for text), exactly
                                            # what Run.save writes: load_digit_model("mine",
                                            # weights_dir="out_dir") reads it back

``meta`` is the weights JSON of demo.train.saving (with the name the job was given); ``settings``
the run's checked settings (demo.train.Settings.as_dict()).  Pure: no gradio.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from demo.checkpoint import save_weights
from demo.train.settings import SettingError, Settings


@dataclass(frozen=True)
class Weights:
    settings: dict
    state_dict: dict[str, torch.Tensor] = field(repr=False)
    meta: dict = field(repr=False)

    @property
    def kind(self) -> str:
        """"digits" (the digits and remember tasks) or "char" (text)."""
        return self.meta["kind"]

    @property
    def step(self) -> int:
        return self.meta["training"]["steps"]

    def save(self, out_dir: str | Path, name: str) -> tuple[Path, Path]:
        """Write out_dir/KIND_NAME.safetensors + .json (Run.save's files); returns both paths."""
        if not isinstance(name, str) or not name or not name.replace("_", "").replace("-", "").isalnum():
            raise SettingError("name", f"must be letters, digits, '_' or '-', got {name!r}")
        if self.settings["cell"] == "rnn_relu":
            raise SettingError("cell", "rnn_relu cannot be saved yet: the weights format's DigitRNN and "
                               "CharRNN have no nonlinearity argument, so it would load as tanh")
        return save_weights(Path(out_dir) / f"{self.kind}_{name}", self.state_dict, {**self.meta, "name": name})

    def model(self, name: str | None = None):
        """The network as a DigitModel / CharModel (a copy: the job's weights stay as they are)."""
        from demo.digits.model import DigitModel, DigitRNN
        from demo.text.model import CharModel, CharRNN, Vocab
        from demo.train.tasks import seeded_net
        s = Settings.make(**self.settings)
        config = self.meta["config"]
        build = (lambda: CharRNN(**config)) if self.kind == "char" else (lambda: DigitRNN(**config))
        net = seeded_net(s, build)            # a ReLU RNN's stack swapped in, as the run's
        net.load_state_dict(self.state_dict)
        meta = {**self.meta, "name": name or self.meta["name"]}
        if self.kind == "char":
            return CharModel(net, Vocab(self.meta["vocab"]), meta)
        return DigitModel(net, meta)
