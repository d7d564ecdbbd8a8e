"""Call recordings: supervisors listen to a recorded call (HUIFANG_RECORDING=on)."""
