"""mortgage-risk: real-estate mortgage loan risk management for a county rural credit union."""

__version__ = "0.1.0"
