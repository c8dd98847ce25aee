"""The "Explain" panel of the Digits tab: the chosen cell's equations and the tensor shapes of the
loaded model, as Markdown with $$...$$ LaTeX (which gr.Markdown renders).

    from demo.digits.explain import explain_markdown
    print(explain_markdown(model))   # model: a demo.digits.DigitModel
"""
from __future__ import annotations

from demo.i18n import t

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
$$

One matrix mixes the new row with the old state at every step; gradients through 28 steps of
it shrink or grow, which is why the plain RNN tends to settle later and less surely.""",
}
GATE_COUNT = {"lstm": 4, "gru": 3, "rnn": 1}
# The words of the equations, for another language: (cell, symbol) -> key in demo/i18n
TERMS = {("lstm", s): f"digits.explain.lstm.{s}" for s in "ifgoch"} | \
        {("gru", s): f"digits.explain.gru.{s}" for s in "rznh"}
NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "plain RNN (Elman)"}


def equations(cell: str, lang: str = "en") -> str:
    """The cell's equations, their words (\\text{...}) in ``lang``."""
    text = EQUATIONS[cell]
    if lang == "en":
        return text
    for (c, sym), key in TERMS.items():
        if c == cell:
            text = text.replace(r"\text{" + t(key, "en") + "}", r"\text{" + t(key, lang) + "}")
    if cell == "rnn":
        text = text[:text.rindex("$$") + 2] + "\n\n" + t("digits.explain.rnn.note", lang)
    return text


def shapes_markdown(cell: str, hidden: int, layers: int, head_hidden: int = 0, lang: str = "en") -> str:
    """The tensor shapes of the loaded model, as a Markdown list, in ``lang``."""
    return _shapes(cell, hidden, layers, head_hidden, lang)


def _shapes(cell: str, hidden: int, layers: int, head_hidden: int, lang: str) -> str:
    k = GATE_COUNT[cell]
    state = t("digits.explain.shape.state_lstm" if cell == "lstm" else "digits.explain.shape.state", lang,
              hidden=hidden)
    rows = [t("digits.explain.shape.input", lang),
            t("digits.explain.shape.layer1", lang, rows=k * hidden, hidden=hidden, state=state)]
    if layers > 1:
        which = t("digits.explain.shape.layer2", lang) if layers == 2 else \
            t("digits.explain.shape.layers", lang, layers=layers)
        rows.append(t("digits.explain.shape.upper", lang, which=which, rows=k * hidden, hidden=hidden))
    head = (f"Linear({hidden}, {head_hidden}) → ReLU → Linear({head_hidden}, 10)" if head_hidden
            else f"Linear({hidden}, 10)")
    rows += [t("digits.explain.shape.output", lang, hidden=hidden, head=head), t("digits.explain.shape.after_row", lang)]
    return "\n".join(rows)


def explain_markdown(model, lang: str = "en") -> str:
    """Equations + shapes for a loaded DigitModel, with its test accuracy from the weights JSON,
    in ``lang`` ("en" or "zh-CN")."""
    return _explain(model, lang)


def _explain(model, lang: str) -> str:
    config = model.meta.get("config", {})
    cell = model.cell
    hidden, layers = int(config.get("hidden", 0)), int(config.get("layers", 1))
    acc = model.meta.get("metrics", {}).get("test_acc")
    params = model.meta.get("num_parameters")
    facts = t("app.sep.list", lang).join(x for x in [
        t("digits.explain.layers_many" if layers > 1 else "digits.explain.layers_one", lang, layers=layers,
          hidden=hidden),
        t("digits.explain.params", lang, params=params) if params else "",
        t("digits.explain.accuracy", lang, acc=acc) if acc is not None else "",
    ] if x)
    name = t(f"digits.explain.name.{cell}", lang) if cell in NAMES else cell
    return (t("digits.explain.heading", lang, cell=name, facts=facts) + "\n\n"
            + t("digits.explain.intro", lang) + "\n" + equations(cell, lang) + "\n\n"
            + t("digits.explain.shapes_title", lang) + "\n\n"
            + shapes_markdown(cell, hidden, layers, int(config.get("head_hidden", 0) or 0), lang))
