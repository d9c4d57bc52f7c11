"""The step-through: one training step of a small network, one equation at a time.

``record`` holds the steps and their values (labkit's one backprop, each result beside an
independent counterpart), ``view`` draws a step, ``widget`` is the StepThrough widget.

    from labkit.stepthrough import StepThrough, step_strip, trace

    StepThrough()                                     # labkit's backprop: a 2-3-2-1 tanh network on XOR
    StepThrough(mistakes=["phi_prime_at_output"])     # where does phi'(Y) first show? (step 9, Delta_3)
    StepThrough(net, X, y, forward=forward, backprop=backprop)   # notebook 02's functions, checked
    trace(net, X, y, backprop=backprop).verdict()     # 'In your code, step 13 (dE/dW_2) is the first ...'
    step_strip(trace(net, X, y)); plots.show()        # every step in one figure, described, for a static page
"""

from .record import FINITE_DIFFERENCES, LABKIT_FORWARD, MISTAKES, SWITCHES, Step, Term, Trace, trace
from .view import StepView, step_strip
from .widget import StepThrough, example_network

__all__ = ["FINITE_DIFFERENCES", "LABKIT_FORWARD", "MISTAKES", "SWITCHES", "Step", "Term", "Trace", "trace",
           "StepView", "step_strip", "StepThrough", "example_network"]
