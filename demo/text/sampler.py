"""Sampling's loop body: one character in, the next-character logits out, for one text or for
many texts stepped together (the writer's worker), through the hand cells of ``demo.cells``.

    bs = BatchStepper(model, slots=64)     # model: a CharModel (any cell)
    a = bs.open()                          # a free slot at the zero state (or edit=...)
    b = bs.open(edit)                      # its own top-layer edit (a demo.cells.Edit)
    logits = bs.step([a, b], [i_a, i_b])   # (2, V) float32: every open slot, in opening order
    bs.close(a)

A text's numbers do not depend on what is stepped beside it, to the last bit, so the writer's
batches write the text ``CharModel.stream`` writes alone (it steps a BatchStepper of one slot).
Two measured properties of torch on the CPU give that, and tests/test_text.py checks them:
- a matrix product gives a row the same bits for any number of rows from 2 to 64 (not for one
  row, which the BLAS computes another way): a lone text is stepped as two equal rows;
- the sigmoid gives other bits (for ~3% of inputs) on the last elements of a tensor, which a
  scalar loop finishes after the vector loop, so a row's bits would depend on the number of
  rows (a GRU's did): every layer is padded to a multiple of ALIGN units with zero weights, and
  no element is left over.  A padded unit stays at 0 (or, under an edit of a whole gate, has
  zero weights out), so the texts are the model's.
Pure: torch and numpy, no gradio.
"""
from __future__ import annotations

import weakref

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from demo.cells import HandRNN, Layer

ALIGN = 64   # a multiple of the vector loop's step: two vectors, 32 float32 (AVX-512) or 16 (AVX2)
_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}


def _pad(t: Tensor, axis: int, H: int, Hp: int, k: int = 1) -> Tensor:
    """t with its ``axis`` of k blocks of H units (a gate each) as k blocks of Hp: zeros after
    each block's H."""
    t = t.movedim(axis, -1)
    lead = t.shape[:-1]
    t = F.pad(t.reshape(*lead, k, H), (0, Hp - H)).reshape(*lead, k * Hp)
    return t.movedim(-1, axis).contiguous()


_PADDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # CharModel -> its padded cells


def _padded(model) -> tuple[HandRNN, Tensor, Tensor]:
    """The model's hand cells padded to a multiple of ALIGN units, its layer-0 table (V, k*Hp)
    and output weights (Hp, V), built once per model (4 ms for the shipped LSTM)."""
    if model not in _PADDED:
        hand, H = model.hand, model.hand.hidden
        Hp, k = -(-H // ALIGN) * ALIGN, _BLOCKS[hand.cell]
        layers = [Layer(_pad(L.w_ih, 1, H, Hp, k) if i == 0 else _pad(_pad(L.w_ih, 0, H, Hp), 1, H, Hp, k),
                        _pad(_pad(L.w_hh, 0, H, Hp), 1, H, Hp, k),
                        _pad(L.b_ih, 0, H, Hp, k), _pad(L.b_hh, 0, H, Hp, k))
                  for i, L in enumerate(hand.layers)]
        _PADDED[model] = (HandRNN(hand.cell, layers, "relu" if hand.act is torch.relu else "tanh"),
                          _pad(model._table, 1, H, Hp, k), _pad(model._w_out, 0, H, Hp))
    return _PADDED[model]


class _RowEdits:
    """Each row's own top-layer Edit (or None), applied where HandRNN.step_layer applies one:
    in place, row by row, with Edit.apply itself."""

    def __init__(self, edits):
        self.edits = edits

    def apply(self, name: str, v: Tensor) -> Tensor:
        for r, e in enumerate(self.edits):
            if e is not None:
                e.apply(name, v[r:r + 1])
        return v


class BatchStepper:
    """Up to ``slots`` texts of one CharModel, each with its own recurrent state (and edit).
    The state holds one row per open slot, in the order they were opened (two equal rows for
    one), so a step is one pass of the hand cells over every open text."""

    def __init__(self, model, slots: int = 1):
        self.hand, self.table, self.w_out = _padded(model)   # table (V, k*Hp), w_out (Hp, V)
        self.b_out = model._b_out                              # (V,)
        self.slots = int(slots)
        self.free = list(range(self.slots - 1, -1, -1))
        self.rows: list[int] = []       # the open slots, in opening order
        self.edits: list = []           # per state row: the slot's Edit or None
        self.state = None               # per layer h, or (h, c), each (max(2, open), Hp)

    def _rows(self, keep) -> None:
        """Keep the state rows ``keep`` (a list of row numbers), in that order."""
        idx = torch.tensor(keep, dtype=torch.long)
        with torch.inference_mode():
            self.state = [tuple(a[idx] for a in s) if isinstance(s, tuple) else s[idx] for s in self.state]
        self.edits = [self.edits[r] for r in keep]

    def open(self, edit=None) -> int:
        """A free slot at the zero state; ``edit`` (a demo.cells.Edit) acts on its top layer at
        every step.  ValueError when every slot is taken."""
        if not self.free:
            raise ValueError(f"all {self.slots} sampling slots are in use")
        b = self.free.pop()
        if len(self.rows) == 0:
            self.state, self.edits = self.hand.init_state(2), [edit, edit]
        else:
            if len(self.rows) == 1:   # the copy of the first row makes way
                self._rows([0])
            zero = self.hand.init_state(1)
            with torch.inference_mode():
                self.state = [tuple(map(torch.cat, zip(s, z))) if isinstance(s, tuple) else torch.cat((s, z))
                              for s, z in zip(self.state, zero)]
            self.edits.append(edit)
        self.rows.append(b)
        return b

    def close(self, b: int) -> None:
        r = self.rows.index(b)
        self.rows.pop(r)
        if len(self.rows) == 1:
            self._rows([1 - r, 1 - r])
        elif self.rows:
            self._rows([i for i in range(len(self.rows) + 1) if i != r])
        self.free.append(b)

    def step(self, slots, ids) -> np.ndarray:
        """Feed ids[n] to slots[n] (every open slot, in opening order): their logits (n, V)."""
        slots = [int(s) for s in slots]
        if slots != self.rows:
            raise ValueError(f"step every open slot in the order opened: {self.rows}, got {slots}")
        ids = [int(i) for i in ids]
        if len(ids) == 1:
            ids = ids * 2
        first = self.edits[0]   # one Edit for every row (a lone text's two) applies as it is
        edit = first if all(e is first for e in self.edits) else _RowEdits(self.edits)
        with torch.inference_mode():
            x = self.table.index_select(0, torch.tensor(ids))          # (rows, k*Hp)
            h, self.state, _ = self.hand.step(x, self.state, projected=True, edit=edit)
            logits = torch.addmm(self.b_out, h, self.w_out)             # (rows, V)
        return logits[:len(slots)].numpy()
