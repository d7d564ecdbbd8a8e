"""Login screen and the signed-in user."""
