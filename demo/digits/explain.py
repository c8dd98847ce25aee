"""The "Explain" panel of the Digits tab: the chosen cell's equations and the tensor shapes of the
loaded model, as Markdown with $$...$$ LaTeX (which gr.Markdown renders).

    from demo.digits.explain import explain_markdown
    print(explain_markdown(model))   # model: a demo.digits.DigitModel

Every model the tab offers: the LSTM, the GRU, the plain RNN, the peephole LSTM (its gates also
see the cell, through diagonal weights p_i, p_f, p_o) and any of them read both ways (the BiLSTM):
the forward equations over rows 1 -> 28, the backward ones with their own weights over rows
28 -> 1, the joined output and what the head reads.  The shapes come from the loaded network
(hidden size, layers, directions, head), with num_directions as torch counts it.
"""
from __future__ import annotations

import re

from demo.i18n import t

ROWS = 28           # steps: one image row per step
PEEP = r"\textcolor{darkorange}"   # the peephole terms stand out in the equations
EQUATIONS = {
    "lstm": r"""
$$
\begin{aligned}
i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) && \text{input gate: how much to write} \\
f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) && \text{forget gate: how much to keep} \\
g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) && \text{candidate values} \\
o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) && \text{output gate: how much to show} \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t && \text{cell state: the long-term memory} \\
h_t &= o_t \odot \tanh(c_t) && \text{hidden state: what the next step and the head see}
\end{aligned}
$$""",
    "peephole": r"""
$$
\begin{aligned}
i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi} + PEEP{p_i \odot c_{t-1}}) && \text{input gate: also looks at the old cell} \\
f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf} + PEEP{p_f \odot c_{t-1}}) && \text{forget gate: also looks at the old cell} \\
g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) && \text{candidate values} \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t && \text{cell state: the long-term memory} \\
o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho} + PEEP{p_o \odot c_t}) && \text{output gate: looks at the new cell} \\
h_t &= o_t \odot \tanh(c_t) && \text{hidden state: what the next step and the head see}
\end{aligned}
$$""".replace("PEEP", PEEP),
    "gru": r"""
$$
\begin{aligned}
r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) && \text{reset gate} \\
z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) && \text{update gate: keep old vs. take new} \\
n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) && \text{candidate} \\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1} && \text{hidden state}
\end{aligned}
$$""",
    "rnn": r"""
$$
h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})
$$""",
    # read both ways: what joins the two directions, for the next layer and for the head
    "both": r"""
$$
\begin{aligned}
y_t &= [\overrightarrow{h}_t ; \overleftarrow{h}_t] && \text{the layer's output at row t: the next layer's input} \\
\mathrm{logits} &= \mathrm{head}([\overrightarrow{h}_{28} ; \overleftarrow{h}_1]) && \text{the answer: each direction after the whole digit} \\
p^{(t)} &= \mathrm{softmax}(\mathrm{head}([\overrightarrow{h}_t ; \overleftarrow{h}_{29-t}])) && \text{confidence after step t: each direction has read t rows}
\end{aligned}
$$""",
}
GATE_COUNT = {"lstm": 4, "peephole": 4, "gru": 3, "rnn": 1}   # weight_ih's rows = k * H
GATE_ORDER = {"lstm": "i, f, g, o", "peephole": "i, f, g, o", "gru": "r, z, n", "rnn": "h"}
# the symbols that belong to one direction (gates and states; x_t is read by both)
SYMBOLS = {"lstm": "ifgoch", "peephole": "ifgoch", "gru": "rznh", "rnn": "h"}
# The words of the equations, for another language: block -> keys in demo/i18n whose English
# text stands in the block as \text{...}
_LSTM = tuple(f"digits.explain.lstm.{s}" for s in "ifgoch")
TERMS = {"lstm": _LSTM,
         "peephole": tuple(f"digits.explain.{cell}.{s}" for cell, s in zip(["peephole"] * 3 + ["lstm"] * 3, "ifogch")),
         "gru": tuple(f"digits.explain.gru.{s}" for s in "rznh"),
         "both": tuple(f"digits.explain.both.{s}" for s in ("output", "answer", "confidence"))}
NOTES = {"rnn": "digits.explain.rnn.note", "peephole": "digits.explain.peephole.note"}
NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "plain RNN (Elman)", "peephole": "peephole LSTM"}
SHORT = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN", "peephole": "LSTM"}   # BiLSTM, BiGRU, BiRNN


def translate(block: str, text: str, lang: str) -> str:
    """``text`` (EQUATIONS[block] or made from it) with its \\text{...} words in ``lang``."""
    for key in TERMS.get(block, ()):
        text = text.replace(r"\text{" + t(key, "en") + "}", r"\text{" + t(key, lang) + "}")
    return text


def one_way(cell: str, direction: str) -> str:
    """The cell's equations for one direction of a bidirectional layer: every gate, state and
    weight gets the direction's arrow (each direction has its own weights; x_t is shared), and
    the backward direction's recurrence runs from t+1 (it reads rows 28 -> 1).  The backward
    block leaves out the words: they are the forward block's."""
    arrow = r"\overrightarrow" if direction == "forward" else r"\overleftarrow"
    prev = "{t-1}" if direction == "forward" else "{t+1}"
    text = EQUATIONS[cell]
    text = re.sub(r"(?<![A-Za-z\\])([" + SYMBOLS[cell] + r"])_(\{t-1\}|t)(?![A-Za-z0-9])",
                  lambda m: arrow + "{" + m[1] + "}_" + (prev if m[2] != "t" else "t"), text)
    text = re.sub(r"(?<![A-Za-z\\])([Wbp])_", lambda m: arrow + "{" + m[1] + "}_", text)
    if direction == "backward":
        text = re.sub(r" *&& \\text\{[^{}]*\}", "", text)
    return text


def equations(cell: str, lang: str = "en", bidirectional: bool = False) -> str:
    """The cell's equations, their words (\\text{...}) in ``lang``; read both ways: the forward
    block, the backward block and what joins them.  A note on the cell follows (plain RNN,
    peephole LSTM)."""
    if not bidirectional:
        text = translate(cell, EQUATIONS[cell], lang)
    else:
        text = "".join("\n\n" + part.strip("\n") for part in [
            t("digits.explain.both.forward", lang), translate(cell, one_way(cell, "forward"), lang),
            t("digits.explain.both.backward", lang), one_way(cell, "backward"),
            t("digits.explain.both.join", lang), translate("both", EQUATIONS["both"], lang)])
    if cell in NOTES:
        text += "\n\n" + t(NOTES[cell], lang)
    return text


def dims(net) -> dict:
    """The loaded network's sizes: cell, F (input), H (hidden per direction), L (layers), D
    (num_directions) and the head's modules as text, ["Linear(256, 10)"] or
    ["Linear(128, 32)", "ReLU", "Linear(32, 10)"]."""
    rnn = net.rnn
    head = [f"Linear({m.in_features}, {m.out_features})" if hasattr(m, "in_features") else type(m).__name__
            for m in net.head]
    return dict(cell=net.cell, F=rnn.input_size, H=rnn.hidden_size, L=rnn.num_layers,
                D=2 if rnn.bidirectional else 1, head=head)


def _head(d: dict) -> tuple[str, str]:
    """The head as a formula and with the numbers: Linear(num_directions × H, 10) / Linear(256, 10)."""
    first = re.sub(r"^Linear\(\d+,", "Linear(num_directions × H,", d["head"][0])
    return " → ".join([first, *d["head"][1:]]), " → ".join(d["head"])


def _names(stem: str, layers: range) -> str:
    """`weight_hh_l0`, `weight_hh_l1` (or the first … the last for more than two layers)."""
    names = [f"`{stem}_l{k}`" for k in layers]
    return ", ".join(names) if len(names) <= 2 else f"{names[0]} … {names[-1]}"


def _table_rows(net, d: dict) -> list[tuple[str, str, str, str]]:
    """(tensor, key of what it is, shape with symbols, shape with this model's numbers) for the
    input, the states, the output and every parameter, B = 1."""
    cell, F, H, L, D = d["cell"], d["F"], d["H"], d["L"], d["D"]
    lstm = cell in ("lstm", "peephole")
    params = {name: tuple(p.shape) for name, p in net.rnn.named_parameters()}
    kH = f"{GATE_COUNT[cell]}H" if GATE_COUNT[cell] > 1 else "H"
    states = "(num_layers × num_directions, B, H)"
    T = d.get("T", ROWS)
    rows = [("`x`", "input", f"(B, {T}, {F})", str((1, T, F))),
            ("`h0`, `c0`" if lstm else "`h0`", "h0_lstm" if lstm else "h0", states, str((L * D, 1, H))),
            ("`output`", "output_both" if D == 2 else "output", f"(B, {T}, num_directions × H)",
             str((1, T, D * H))),
            ("`h_n`, `c_n`" if lstm else "`h_n`", "h_n_lstm" if lstm else "h_n", states, str((L * D, 1, H))),
            ("`weight_ih_l0`", "w_ih0", f"({kH}, {F})", str(params["weight_ih_l0"]))]
    if L > 1:
        rows.append((_names("weight_ih", range(1, L)), "w_ih", f"({kH}, num_directions × H)",
                     str(params["weight_ih_l1"])))
    rows += [(_names("weight_hh", range(L)), "w_hh", f"({kH}, H)", str(params["weight_hh_l0"])),
             (_names("bias_ih", range(L)) + ", " + _names("bias_hh", range(L)), "bias", f"({kH},)",
              str(params["bias_ih_l0"]))]
    if "weight_peep_l0" in params:
        rows.append((_names("weight_peep", range(L)), "peep", "(3, H)", str(params["weight_peep_l0"])))
    if D == 2:
        rows.append(("`weight_ih_l0_reverse`, …", "reverse", "", ""))
    symbolic, concrete = _head(d)
    return rows + [("`net.head`", "head", symbolic, concrete), ("`net(x)`", "logits", "(B, 10)", "(1, 10)")]


def _table(net, d: dict, lang: str) -> str:
    """The shapes as a Markdown table: tensor | what it is | shape | this model (B = 1)."""
    lines = [t("digits.explain.table.header", lang), "|---|---|---|---|"]
    for name, what, symbolic, concrete in _table_rows(net, d):
        if what == "reverse":   # the backward direction's copies: their shapes are the forward ones'
            symbolic = concrete = t("digits.explain.table.same", lang)
        text = t(f"digits.explain.table.{what}", lang,
                 **({"gates": GATE_ORDER[d["cell"]]} if what == "w_ih0" else {}))
        lines.append(f"| {name} | {text} | {symbolic} | {concrete} |")
    return "\n".join(lines)


def _notes(d: dict, lang: str) -> list[str]:
    """The bullets under the table: the layout of h_n and output, what the head reads, the
    confidence after each row and what the views show."""
    H, L, D = d["H"], d["L"], d["D"]
    if D == 1:
        return [t("digits.explain.note.h_n", lang) if L > 1 else "",
                t("digits.explain.note.head", lang), t("digits.explain.shape.after_row", lang),
                t("digits.explain.note.views", lang, hidden=H)]
    return [t("digits.explain.note.h_n_both", lang, fwd=2 * L - 2, bwd=2 * L - 1, hidden=H),
            t("digits.explain.note.head_both", lang, features=2 * H, hidden=H),
            t("digits.explain.note.after_step_both", lang),
            t("digits.explain.note.views_both", lang, units=2 * H, last_fwd=H - 1, hidden=H, last=2 * H - 1)]


def shapes_markdown(net, lang: str = "en", steps: int = ROWS) -> str:
    """The tensor shapes of the loaded network (a DigitRNN), with num_directions as torch
    counts it, as Markdown in ``lang``: the sizes, a table and notes.  ``steps``: the rows it
    reads (28, or 28 + the blank rows a "remember the digit" model reads after them)."""
    d = {**dims(net), "T": steps}
    sizes = t("digits.explain.sizes_both" if d["D"] == 2 else "digits.explain.sizes", lang,
              hidden=d["H"], layers=d["L"], directions=d["D"])
    return "\n\n".join([t("digits.explain.shape.input", lang), sizes, _table(net, d, lang),
                        "\n".join(x for x in _notes(d, lang) if x)])


def model_name(d: dict, lang: str) -> str:
    """"LSTM", "peephole LSTM", "bidirectional LSTM (BiLSTM)" ... in ``lang``."""
    cell = d["cell"]
    name = t(f"digits.explain.name.{cell}", lang) if cell in NAMES else cell
    if d["D"] == 2:
        return t("digits.explain.name.bidirectional", lang, cell=name, short=SHORT.get(cell, cell))
    return name


def explain_markdown(model, lang: str = "en") -> str:
    """Equations + shapes for a loaded DigitModel, with its test accuracy from the weights JSON,
    in ``lang`` ("en" or "zh-CN")."""
    net = model.net
    d = dims(net)
    acc = model.meta.get("metrics", {}).get("test_acc")
    params = sum(p.numel() for p in net.parameters())
    size = ("layers_many" if d["L"] > 1 else "layers_one") + ("_both" if d["D"] == 2 else "")
    facts = t("app.sep.list", lang).join(x for x in [
        t(f"digits.explain.{size}", lang, layers=d["L"], hidden=d["H"]),
        t("digits.explain.params", lang, params=params),
        t("digits.explain.accuracy", lang, acc=acc) if acc is not None else "",
    ] if x)
    return (t("digits.explain.heading", lang, cell=model_name(d, lang), facts=facts) + "\n\n"
            + t("digits.explain.intro", lang) + "\n" + equations(d["cell"], lang, d["D"] == 2) + "\n\n"
            + t("digits.explain.shapes_title", lang) + "\n\n" + shapes_markdown(net, lang, getattr(model, "steps", ROWS)))
