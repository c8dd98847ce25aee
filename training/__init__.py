"""Training and evaluation scripts (run as ``python training/NAME.py`` or ``python -m training.NAME``).

    common.py          paths, device choice, the exact command line, RNG states, downloads
    loop.py            what both trainers share: one optimiser step (AMP + clipping), graceful
                       Ctrl-C / SIGTERM, resumable checkpoints with every optimiser state
    train_digits.py    MNIST row-by-row classifiers -> weights/digits_NAME.*
    train_char_rnn.py  character models on Tiny Shakespeare -> weights/char_NAME.*
    eval_digits.py     recompute the test accuracy of digit weights
    find_units.py      interesting hidden units of the char models -> weights/char_NAME_units.json
"""
