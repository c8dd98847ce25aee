"""RNN Lens: see inside recurrent networks.

Modules: ``cells`` (hand-written RNN/GRU/LSTM that step one input at a time), ``checkpoint``
(safetensors + JSON weights I/O), ``digits`` (row-by-row MNIST classifiers), ``text``
(character-level language model), ``render`` (numpy -> PNG views) and ``ui`` (the Gradio app,
the only module that imports gradio).
"""
