"""Train it yourself: a recurrent network learning live, pure (no gradio), for the Train tab.

    settings.py   every setting of a run, checked (SettingError: a ValueError naming the field)
    data.py       MNIST and Tiny Shakespeare from the data folder (or downloaded); a user's text checked
    tasks.py      digits, remember (the digit, then blank rows) and text: data, network, validation
    gradients.py  the gradient reaching each time step, |dL/dh_t|, through the hand-written cells
    run.py        Run: train for steps or seconds, pause and resume, records, the model, save
    saving.py     the run's weights JSON in the weights/ format
    compare.py    two runs side by side (the Train tab's compare presets): their updates merged
    live.py       what each live update shows: one example's h and gates, a confusion matrix, a sample
    pool.py       TrainPool: runs in worker processes, a line, caps, Stop, pause and park (job.py,
                  worker.py, trained.py: a job, the worker's loop, the weights a job gives back)

    from demo.train import Run
    run = Run(task="remember", cell="lstm", delay=50, forget_bias=2.0)
    run.train(seconds=10)
    run.records[-1]["val_acc"], run.records[-1]["grad_by_step"]
"""
from demo.train.pool import TrainPool
from demo.train.run import Run
from demo.train.settings import CELLS, OPTIMIZERS, TASK_DEFAULTS, TASKS, SettingError, Settings

__all__ = ["CELLS", "OPTIMIZERS", "Run", "SettingError", "Settings", "TASKS", "TASK_DEFAULTS", "TrainPool"]
