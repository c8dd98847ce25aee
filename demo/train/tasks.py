"""What a run learns: the three tasks, each with its data, its network and its validation.

    digits     MNIST read row by row (DigitRNN, 28 steps), the real task
    remember   the same digit followed by ``delay`` blank rows (T = 28 + delay): the answer must be
               carried ``delay`` steps with no input.  The network is a plain DigitRNN reading a
               taller picture, to_mnist(drawing) with ``delay`` rows below (``blank_rows``),
               and its normalisation makes those rows exactly 0: no input at all.
    text       a char model (CharRNN) on Tiny Shakespeare or the user's text: random windows of
               ``bptt`` characters from the first 90%, validated on the last 10%

The split of MNIST is training/train_digits.py's (SPLIT_SEED): the first 5,000 of a fixed
permutation of the 60,000 training images are held out, and validation uses the first
``val_size`` of those.  Every random draw (initial weights, data order) comes from the seed:
weights from torch's generator forked and seeded with it, batches from the run's own generator.
"""
from __future__ import annotations

import hashlib

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from demo.digits.model import MNIST_MEAN, MNIST_STD, DigitModel, DigitRNN, blank_rows
from demo.text.model import CharModel, CharRNN, Vocab
from demo.train.data import check_text, mnist_train, shakespeare
from demo.train.settings import SettingError, Settings

SPLIT_SEED = 20240601   # training/train_digits.py's: the same 5,000 held-out images
VAL_POOL = 5000         # held-out training images; validation uses the first val_size of them
TRAIN_FRACTION = 0.9    # text: the first 90% trains, the rest validates
EVAL_BATCH = 1000


def make_task(s: Settings, data_dir=None, text=None):
    if s.task == "text":
        return TextTask(s, data_dir, text)
    if text is not None:
        raise SettingError("text", f"is for the text task, not {s.task!r}")
    return DigitTask(s, data_dir)


def seeded_net(s: Settings, build) -> nn.Module:
    """``build()`` with torch's generator seeded from the run's seed (and the caller's generator
    untouched); a ReLU RNN's stack swapped in; the forget bias set.  Every cell starts from
    torch's own initialisation, as the lesson compares them: a plain RNN too, which the shipped
    DigitRNN gives an orthogonal recurrence instead."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(s.seed)
        net = build()
        if s.cell == "rnn_relu":
            old = net.rnn
            net.rnn = nn.RNN(old.input_size, old.hidden_size, num_layers=old.num_layers, batch_first=True,
                             bidirectional=old.bidirectional, nonlinearity="relu")
        elif s.cell == "rnn":
            net.rnn.reset_parameters()
    if s.forget_bias is not None:
        set_forget_bias(net.rnn, s.forget_bias)
    return net


def set_forget_bias(rnn: nn.Module, value: float) -> None:
    """Make the forget gate's total bias (bias_ih + bias_hh, chunk 2 of i, f, g, o) ``value`` in
    every layer and direction: bias_ih's chunk becomes ``value``, bias_hh's 0."""
    H = rnn.hidden_size
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            if name.startswith("bias_ih"):
                p[H:2 * H] = value
            elif name.startswith("bias_hh"):
                p[H:2 * H] = 0.0


class DigitTask:
    """digits and remember: MNIST images (+ ``delay`` blank rows), labels 0-9."""
    kind = "digits"   # the weights' kind: weights_dir/digits_NAME.*

    def __init__(self, s: Settings, data_dir=None):
        if s.val_size > VAL_POOL:
            raise SettingError("val_size", f"must be at most {VAL_POOL} (the held-out images), got {s.val_size}")
        self.s, self.delay = s, s.delay
        self.images, self.labels, self.source = mnist_train(data_dir)
        perm = torch.randperm(len(self.labels), generator=torch.Generator().manual_seed(SPLIT_SEED))
        self.train_idx = perm[VAL_POOL:]
        if s.train_size is not None:
            if s.train_size > len(self.train_idx):
                raise SettingError("train_size", f"must be at most {len(self.train_idx)}, got {s.train_size}")
            self.train_idx = self.train_idx[:s.train_size]
        val_idx = perm[:s.val_size]
        self.val_x, self.val_y = self.rows(self.images[val_idx]), self.labels[val_idx]
        self.steps = 28 + self.delay

    def rows(self, images: Tensor) -> Tensor:
        """uint8 (B, 28, 28) -> float (B, 28 + delay, 28) in [0, 1], blank rows below."""
        return blank_rows(images.float() / 255.0, self.delay)

    def build(self) -> DigitRNN:
        return seeded_net(self.s, lambda: DigitRNN(**self.config()))

    def config(self) -> dict:
        """DigitRNN's constructor arguments (what the weights JSON stores as "config")."""
        s = self.s
        cell = "rnn" if s.cell == "rnn_relu" else s.cell
        return dict(cell=cell, hidden=s.hidden, layers=s.layers, head_hidden=0, dropout=0.0,
                    mean=MNIST_MEAN, std=MNIST_STD, bidirectional=s.bidirectional)

    def batches(self, gen: torch.Generator):
        """An endless stream of (x, y): shuffled epochs drawn from ``gen`` (partial batch dropped)."""
        n, B = len(self.train_idx), self.s.batch
        while True:
            order = self.train_idx[torch.randperm(n, generator=gen)]
            for i in range(0, n - B + 1, B):
                idx = order[i:i + B]
                yield self.rows(self.images[idx]), self.labels[idx]

    @staticmethod
    def loss(net: DigitRNN, x: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(net(x), y)

    @torch.no_grad()
    def evaluate(self, net: DigitRNN, answers: bool = False):
        """(mean cross-entropy, accuracy) on the validation images; with ``answers``, also the
        network's answer to each (N,) int64 (a confusion matrix's input)."""
        was = net.training
        net.eval()
        loss, said = 0.0, []
        try:
            for i in range(0, len(self.val_y), EVAL_BATCH):
                logits = net(self.val_x[i:i + EVAL_BATCH])
                loss += F.cross_entropy(logits, self.val_y[i:i + EVAL_BATCH], reduction="sum").item()
                said.append(logits.argmax(1))
        finally:
            net.train(was)   # a run evaluated between its steps goes on training
        said = torch.cat(said)
        out = loss / len(self.val_y), int((said == self.val_y).sum()) / len(self.val_y)
        return (*out, said) if answers else out

    def wrap(self, net: DigitRNN, meta: dict) -> DigitModel:
        return DigitModel(net, meta)

    def data_info(self) -> dict:
        return {"dataset": "MNIST", "sha256": self.source["sha256"], "split_seed": SPLIT_SEED,
                "train_images": len(self.train_idx), "val_images": len(self.val_y), "delay": self.delay,
                "split": f"held out: the first {VAL_POOL} of randperm(60000, seed {SPLIT_SEED}); "
                         f"validation: the first {len(self.val_y)} of those",
                "blank_rows": "below the 28 rows, read as 0 after normalisation (no input)" if self.delay else None}


class TextTask:
    """text: next-character prediction on Tiny Shakespeare (text=None) or the given text."""
    kind = "char"

    def __init__(self, s: Settings, data_dir=None, text=None):
        if text is None:
            text, self.source = shakespeare(data_dir)
            self.source = {**self.source, "corpus": "Tiny Shakespeare"}
        else:
            text = check_text(text)
            self.source = {"file": None, "corpus": "the user's text",
                           "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
        self.s, self.chars = s, len(text)
        self.vocab = Vocab.from_text(text)
        ids = torch.tensor(self.vocab.encode(text), dtype=torch.long)
        n_train = int(len(ids) * TRAIN_FRACTION)
        self.train, self.val = ids[:n_train], ids[n_train:][:s.val_size]
        if s.train_size is not None:
            if s.train_size < 2:
                raise SettingError("train_size", f"must be at least 2 characters, got {s.train_size}")
            self.train = self.train[:s.train_size]
        if len(self.val) < 2:
            raise SettingError("val_size", f"must be at least 2 characters, got {s.val_size}")
        self.steps = min(s.bptt, len(self.train) - 1)   # the window: bptt, or the whole (short) text

    def build(self) -> CharRNN:
        return seeded_net(self.s, lambda: CharRNN(**self.config()))

    def config(self) -> dict:
        """CharRNN's constructor arguments (what the weights JSON stores as "config")."""
        s = self.s
        cell = "rnn" if s.cell == "rnn_relu" else s.cell
        return dict(vocab_size=len(self.vocab), cell=cell, hidden=s.hidden, layers=s.layers, dropout=0.0,
                    embed=s.embed)

    def batches(self, gen: torch.Generator):
        """An endless stream of (x, y): ``batch`` random windows, targets shifted by one."""
        T, B = self.steps, self.s.batch
        span = torch.arange(T + 1)
        while True:
            starts = torch.randint(0, len(self.train) - T, (B,), generator=gen)
            w = self.train[starts[:, None] + span]
            yield w[:, :-1], w[:, 1:]

    @staticmethod
    def loss(net: CharRNN, x: Tensor, y: Tensor) -> Tensor:
        logits, _ = net(x)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))

    def evaluate(self, net: CharRNN, answers: bool = False):
        """(nats per character, next-character accuracy) on the validation characters (and None
        with ``answers``: a text has no confusion matrix)."""
        out = score_text(net, self.val)
        return (*out, None) if answers else out

    def wrap(self, net: CharRNN, meta: dict) -> CharModel:
        return CharModel(net, self.vocab, meta)

    def data_info(self) -> dict:
        return {**self.source, "chars": self.chars, "vocab": len(self.vocab), "train_chars": len(self.train),
                "val_chars": len(self.val),
                "split": f"first {TRAIN_FRACTION:.0%} train, the first {len(self.val)} characters after it validate"}


@torch.no_grad()
def score_text(net: CharRNN, ids: Tensor, chunk: int = 512, burn_in: int = 64) -> tuple[float, float]:
    """Mean -ln p(x_t | x_<t) and next-character accuracy over t = 1..N-1, as demo.text.mean_nll
    scores (chunks read side by side, each after up to ``burn_in`` characters of its true context
    that are not counted): one batched call for the validation text."""
    was = net.training
    net.eval()
    n = len(ids)
    rows = [(max(0, a - 1 - burn_in), a, min(a + chunk, n)) for a in range(1, n, chunk)]
    width = max(e - 1 - s for s, a, e in rows)
    x = torch.zeros(len(rows), width, dtype=torch.long)
    y = torch.zeros_like(x)
    keep = torch.zeros(len(rows), width, dtype=torch.bool)
    for j, (s, a, e) in enumerate(rows):
        x[j, :e - 1 - s], y[j, :e - 1 - s] = ids[s:e - 1], ids[s + 1:e]
        keep[j, a - 1 - s:e - 1 - s] = True  # outputs at a-1..e-2 predict targets a..e-1
    logits, _ = net(x)
    nll = F.cross_entropy(logits.transpose(1, 2), y, reduction="none")[keep]
    right = (logits.argmax(-1) == y)[keep]
    net.train(was)
    return float(nll.double().mean()), float(right.double().mean())
