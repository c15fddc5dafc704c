"""Small UI functions: they take Vars or plain values, never a State class."""
