"""The agent's screen."""
