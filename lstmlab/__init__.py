"""lstmlab: reference recurrent networks for the lstmlab course.

``lstmlab.numpy`` holds the float64 NumPy reference with hand-written BPTT,
``lstmlab.torch`` the PyTorch modules written from the same equations.  This
file never imports torch or matplotlib, so ``import lstmlab`` stays light.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
