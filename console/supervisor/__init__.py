"""The supervisors' live wallboard."""
